//! Splitter tests: each case is the SQL and the statements a server would receive.

use retort_core::Dialect;

use super::split_statements;

#[track_caller]
fn check(dialect: Dialect, sql: &str, expected: &[&str]) {
    let texts: Vec<&str> = split_statements(dialect, sql)
        .iter()
        .map(|statement| statement.text)
        .collect();
    assert_eq!(texts, expected, "splitting {sql:?} as {dialect}");
}

#[test]
fn plain_statements_with_and_without_a_final_semicolon() {
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
        check(
            dialect,
            "CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n  UPDATE a SET id = 2  ",
            &[
                "CREATE TABLE a (id INT)",
                "INSERT INTO a VALUES (1)",
                "UPDATE a SET id = 2",
            ],
        );
    }
}

#[test]
fn empty_and_comment_only_statements_are_dropped() {
    check(Dialect::Mysql, "", &[]);
    check(Dialect::Mysql, " ;; \n;", &[]);
    check(
        Dialect::Postgres,
        "-- only a comment\n/* and another */\n",
        &[],
    );
    check(
        Dialect::Mysql,
        "-- first\nSELECT 1; -- after\n# hash comment\n;SELECT 2;\n-- trailing",
        &["SELECT 1", "SELECT 2"],
    );
}

#[test]
fn semicolons_in_comments_do_not_split() {
    check(
        Dialect::Mysql,
        "SELECT 1 -- not; here\n, 2; # nor; here\nSELECT /* nor; here */ 3;",
        &["SELECT 1 -- not; here\n, 2", "SELECT /* nor; here */ 3"],
    );
    // PostgreSQL comments nest.
    check(
        Dialect::Postgres,
        "/* outer /* inner; */ still; comment */ SELECT 1; SELECT 2",
        &["SELECT 1", "SELECT 2"],
    );
    // MySQL comments do not: the first `*/` ends it.
    check(
        Dialect::Mysql,
        "/* a /* b */ SELECT 1; SELECT 2",
        &["SELECT 1", "SELECT 2"],
    );
}

#[test]
fn mysql_double_dash_needs_a_space_to_start_a_comment() {
    check(
        Dialect::Mysql,
        "SELECT 1--1; SELECT 2",
        &["SELECT 1--1", "SELECT 2"],
    );
    check(Dialect::Postgres, "SELECT 1--1; SELECT 2", &["SELECT 1"]);
    // `#` is an operator in PostgreSQL, a comment in MySQL.
    check(
        Dialect::Postgres,
        "SELECT 5 # 3; SELECT 2",
        &["SELECT 5 # 3", "SELECT 2"],
    );
    check(Dialect::Mysql, "SELECT 5 # 3; SELECT 2\n;", &["SELECT 5"]);
}

#[test]
fn semicolons_in_strings_and_identifiers_do_not_split() {
    check(
        Dialect::Mysql,
        "INSERT INTO t VALUES ('a;b', 'it''s;', \"c;\\\"d\", 'e\\';f'); SELECT `odd;``name` FROM t",
        &[
            "INSERT INTO t VALUES ('a;b', 'it''s;', \"c;\\\"d\", 'e\\';f')",
            "SELECT `odd;``name` FROM t",
        ],
    );
    check(
        Dialect::Sqlite,
        "SELECT [a;b], \"c;d\" FROM t; SELECT 2",
        &["SELECT [a;b], \"c;d\" FROM t", "SELECT 2"],
    );
}

#[test]
fn postgres_backslashes_only_escape_in_e_strings() {
    check(
        Dialect::Postgres,
        "SELECT 'a\\'; SELECT E'b\\';c'; SELECT e'\\\\'; SELECT 'x'",
        &[
            "SELECT 'a\\'",
            "SELECT E'b\\';c'",
            "SELECT e'\\\\'",
            "SELECT 'x'",
        ],
    );
    // A name ending in `e` before a string is not an E string.
    check(
        Dialect::Postgres,
        "SELECT type'a\\'; SELECT 2",
        &["SELECT type'a\\'", "SELECT 2"],
    );
}

#[test]
fn postgres_dollar_quotes() {
    let function = "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql";
    check(
        Dialect::Postgres,
        &format!("{function};\nSELECT 1;"),
        &[function, "SELECT 1"],
    );
    let tagged = "DO $body$ BEGIN PERFORM '$$;'; END $body$";
    check(
        Dialect::Postgres,
        &format!("{tagged}; SELECT 2"),
        &[tagged, "SELECT 2"],
    );
    check(
        Dialect::Postgres,
        "SELECT $$$$; SELECT 2",
        &["SELECT $$$$", "SELECT 2"],
    );
    // Parameters and `$` inside identifiers open no quote.
    check(
        Dialect::Postgres,
        "PREPARE p AS SELECT $1; SELECT a$b$ FROM t; SELECT 3",
        &["PREPARE p AS SELECT $1", "SELECT a$b$ FROM t", "SELECT 3"],
    );
}

#[test]
fn postgres_begin_atomic_bodies_and_parenthesised_rules() {
    let function = "CREATE OR REPLACE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;\n  SELECT 1;\nEND";
    check(
        Dialect::Postgres,
        &format!("{function};\nSELECT 2;"),
        &[function, "SELECT 2"],
    );
    let rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); NOTIFY t)";
    check(
        Dialect::Postgres,
        &format!("{rule}; SELECT 3"),
        &[rule, "SELECT 3"],
    );
    // A transaction written in the migration stays as separate statements.
    check(
        Dialect::Postgres,
        "BEGIN; SELECT 1; COMMIT;",
        &["BEGIN", "SELECT 1", "COMMIT"],
    );
}

#[test]
fn mysql_routine_bodies_without_delimiter() {
    let procedure = "CREATE DEFINER=`root`@`localhost` PROCEDURE fill(IN n INT)\nBEGIN\n  DECLARE i INT DEFAULT 0;\n  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET i = n; END;\n  fill_loop: WHILE i < n DO\n    IF (i > 2) THEN\n      INSERT INTO t VALUES (IF(i > 5, 'big', 'small'));\n    ELSEIF i = 1 THEN\n      SET i = i + 0;\n    ELSE\n      INSERT INTO t VALUES (CASE WHEN i = 0 THEN 'zero' ELSE 'one' END);\n    END IF;\n    CASE i WHEN 9 THEN SET i = 9; ELSE BEGIN END; END CASE;\n    REPEAT SET i = i + 1; UNTIL i > 0 END REPEAT;\n  END WHILE fill_loop;\n  DROP TABLE IF EXISTS scratch;\n  lbl: LOOP LEAVE lbl; END LOOP lbl;\nEND";
    check(
        Dialect::Mysql,
        &format!("{procedure};\nCALL fill(3);"),
        &[procedure, "CALL fill(3)"],
    );
}

#[test]
fn mysql_triggers_events_and_functions() {
    let trigger = "CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.a IS NULL THEN SET NEW.a = 1; END IF; END";
    let short_trigger = "CREATE TRIGGER t_bu BEFORE UPDATE ON t FOR EACH ROW SET NEW.b = 2";
    let event = "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END";
    let function =
        "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC BEGIN RETURN REPEAT('a', x) = 'a'; END";
    check(
        Dialect::Mysql,
        &format!("{trigger};\n{short_trigger};\n{event};\n{function};\nSELECT 1"),
        &[trigger, short_trigger, event, function, "SELECT 1"],
    );
}

#[test]
fn mysql_bodies_without_begin_and_ddl_inside_bodies() {
    let trigger = "CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW IF NEW.a IS NULL THEN SET NEW.a = 1; END IF";
    let procedure = "CREATE PROCEDURE reset() BEGIN DROP TABLE IF EXISTS scratch; CREATE TABLE IF NOT EXISTS scratch (id INT); END";
    let function = "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN IF(x > 0, x, 0)";
    check(
        Dialect::Mysql,
        &format!("{trigger};\n{procedure};\n{function};\nSELECT 1"),
        &[trigger, procedure, function, "SELECT 1"],
    );
}

#[test]
fn mariadb_anonymous_blocks_and_transactions() {
    let block = "BEGIN NOT ATOMIC IF 1 = 1 THEN SELECT 1; END IF; END";
    check(
        Dialect::Mysql,
        &format!("{block};\nBEGIN;\nSELECT 2;\nCOMMIT;"),
        &[block, "BEGIN", "SELECT 2", "COMMIT"],
    );
}

#[test]
fn words_that_look_like_blocks_outside_routines_do_not_nest() {
    check(
        Dialect::Mysql,
        "CREATE TABLE event (begin INT, `end` INT); SELECT CASE WHEN 1 THEN 2 END; SELECT IF(1, 2, 3); SELECT 4",
        &[
            "CREATE TABLE event (begin INT, `end` INT)",
            "SELECT CASE WHEN 1 THEN 2 END",
            "SELECT IF(1, 2, 3)",
            "SELECT 4",
        ],
    );
}

#[test]
fn mysql_executable_comments_are_statements() {
    check(
        Dialect::Mysql,
        "/*!40101 SET NAMES utf8mb4 */;\n/* plain */;\nSELECT /*+ MAX_EXECUTION_TIME(1) */ 1;",
        &[
            "/*!40101 SET NAMES utf8mb4 */",
            "SELECT /*+ MAX_EXECUTION_TIME(1) */ 1",
        ],
    );
}

#[test]
fn sqlite_trigger_bodies() {
    let trigger = "CREATE TEMP TRIGGER t_ai AFTER INSERT ON t BEGIN\n  UPDATE t SET n = CASE WHEN n IS NULL THEN 0 ELSE n END;\n  DELETE FROM u;\nEND";
    check(
        Dialect::Sqlite,
        &format!("{trigger};\nSELECT 1"),
        &[trigger, "SELECT 1"],
    );
}

#[test]
fn unterminated_quotes_run_to_the_end_and_non_ascii_text_is_kept() {
    check(
        Dialect::Mysql,
        "SELECT 'never closed; SELECT 2",
        &["SELECT 'never closed; SELECT 2"],
    );
    check(
        Dialect::Postgres,
        "SELECT $tag$ open; SELECT 2",
        &["SELECT $tag$ open; SELECT 2"],
    );
    check(
        Dialect::Mysql,
        "INSERT INTO café VALUES ('naïve; ☕'); SELECT «x»",
        &["INSERT INTO café VALUES ('naïve; ☕')", "SELECT «x»"],
    );
}
