//! Finding scenario files: a file as given, or every `*.toml` under a folder.

use std::path::{Path, PathBuf};

/// The scenario files named by `paths`, each folder walked recursively, in sorted
/// order per folder so runs are reproducible.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            // A missing file is reported by the loader with its path.
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for e in entries {
        if e.is_dir() {
            walk(&e, out)?;
        } else if e.extension().is_some_and(|x| x == "toml") {
            out.push(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_folders_in_order_and_keeps_files() {
        let root = std::env::temp_dir().join(format!("discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        for f in ["b/c/z.toml", "b/a.toml", "b/notes.md", "top.toml"] {
            std::fs::write(root.join(f), "").unwrap();
        }
        let got = discover(&[root.join("b"), root.join("top.toml")]).unwrap();
        let rel: Vec<String> = got
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(rel, ["b/a.toml", "b/c/z.toml", "top.toml"]);
        let _ = std::fs::remove_dir_all(&root);
    }
}
