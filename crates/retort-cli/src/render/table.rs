//! Aligned columns: the summary table a run ends with and `status`'s table.

/// `rows` in columns two spaces apart, each line's trailing spaces trimmed, each line ending
/// with a newline. Widths count characters.
pub fn aligned(rows: &[Vec<String>]) -> String {
    let n_columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; n_columns];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(cell);
            line.push_str(&" ".repeat(width - cell.chars().count() + 2));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_lines_end_trimmed() {
        let rows = vec![
            vec!["a".to_owned(), "bb".to_owned(), "c".to_owned()],
            vec!["dddd".to_owned(), String::new(), String::new()],
            vec!["e".to_owned(), String::new(), "f".to_owned()],
        ];
        assert_eq!(aligned(&rows), "a     bb  c\ndddd\ne         f\n");
    }
}
