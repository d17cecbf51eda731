//! A folder of the fuzzing process's own, emptied for each input.

use std::path::{Path, PathBuf};

/// `kubeharden-fuzz-<target>-<pid>` under `$KUBEHARDEN_FUZZ_SCRATCH` (which the
/// scripts set, and remove when done), else on tmpfs when there is one (a file
/// written per input should not wear a disk), else in the temporary folder.
/// Emptied and made again on each call.
pub fn fresh(target: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = match std::env::var_os("KUBEHARDEN_FUZZ_SCRATCH") {
        Some(dir) => PathBuf::from(dir),
        None if shm.is_dir() => shm.to_path_buf(),
        None => std::env::temp_dir(),
    };
    let dir = base.join(format!("kubeharden-fuzz-{target}-{}", std::process::id()));
    // remove_dir_all removes links without following them.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot make the scratch folder");
    dir
}
