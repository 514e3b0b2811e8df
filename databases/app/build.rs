//! Embeds every file of `versions/` into the crate, so that a release binary carries its migrations.

use std::{env, fs, io, path::Path};

fn main() -> io::Result<()> {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").map_err(io::Error::other)?;
    let versions = Path::new(&manifest_dir).join("versions");
    println!("cargo::rerun-if-changed={}", versions.display());
    let mut names: Vec<String> = Vec::new();
    for entry in fs::read_dir(&versions)? {
        let entry = entry?;
        println!("cargo::rerun-if-changed={}", entry.path().display());
        if entry.file_type()?.is_file()
            && let Some(name) = entry.file_name().to_str()
            && name.ends_with(".sql")
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    let mut out = String::from(
        "/// Every migration file of `versions/`, in file-name order: (file name, bytes).\npub static VERSIONS: &[(&str, &[u8])] = &[\n",
    );
    for name in &names {
        let path = versions.join(name);
        out.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let out_dir = env::var("OUT_DIR").map_err(io::Error::other)?;
    fs::write(Path::new(&out_dir).join("versions.rs"), out)
}
