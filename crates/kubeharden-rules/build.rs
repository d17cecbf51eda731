//! Generates the rule registry from the rule files, as ruff does: every
//! `src/rules/<section>/<rule>.rs` is a module, its `RULE` is registered, and its
//! `//!` comment becomes the rule's documentation (`kubeharden explain`).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut sections: Vec<_> = std::fs::read_dir(&root)
        .expect("src/rules")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.path())
        .collect();
    sections.sort();

    let mut modules = String::new();
    let mut registry = String::from("/// Every rule, with the documentation taken from its file.\npub static REGISTRY: &[RuleEntry] = &[\n");
    for section in &sections {
        let section_name = section.file_name().unwrap().to_str().unwrap().to_string();
        println!("cargo:rerun-if-changed={}", section.display());
        let mut files: Vec<_> = std::fs::read_dir(section)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect();
        files.sort();
        writeln!(modules, "pub mod {section_name} {{").unwrap();
        for file in &files {
            println!("cargo:rerun-if-changed={}", file.display());
            let stem = file.file_stem().unwrap().to_str().unwrap();
            let text = std::fs::read_to_string(file).unwrap();
            let doc: Vec<&str> = text
                .lines()
                .take_while(|l| l.starts_with("//!"))
                .map(|l| {
                    l.strip_prefix("//! ")
                        .unwrap_or(l.trim_start_matches("//!"))
                })
                .collect();
            assert!(
                !doc.is_empty(),
                "{} has no //! documentation",
                file.display()
            );
            writeln!(
                modules,
                "    #[path = {:?}]\n    pub mod {stem};",
                file.display().to_string()
            )
            .unwrap();
            writeln!(
                registry,
                "    RuleEntry {{ def: &{section_name}::{stem}::RULE, section: {section_name:?}, doc: {:?} }},",
                doc.join("\n")
            )
            .unwrap();
        }
        writeln!(modules, "}}").unwrap();
    }
    registry.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("registry.rs");
    std::fs::write(out, format!("{modules}\n{registry}")).unwrap();
}
