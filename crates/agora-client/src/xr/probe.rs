//! Is there a headset? Finds the OpenXR loader, asks it for a runtime and the runtime for a
//! head-mounted display, and says in one plain sentence why not when the answer is no.
//!
//! The loader library has two names on Linux: `libopenxr_loader.so.1`, which the runtime
//! package installs (Debian's `libopenxr-loader1`), and `libopenxr_loader.so`, a link that only
//! the development package adds. The openxr crate's `Entry::load()`, which bevy_mod_openxr
//! calls, asks for the second. So the probe tries both (or `AGORA_OPENXR_LOADER`, a path), and
//! when only the versioned name exists, [`reexec_with_loader`] starts the client again with a
//! private folder holding the plain name first on the library path — a citizen with only a
//! runtime installed gets their headset without any development package.

use std::ffi::OsString;

use super::ModeSentence;
use std::path::{Path, PathBuf};

/// Set to a path to use that loader library instead of looking for one.
pub const LOADER_VARIABLE: &str = "AGORA_OPENXR_LOADER";
/// Set by the client when it has restarted itself with the loader folder on the library path.
const REEXEC_VARIABLE: &str = "AGORA_OPENXR_REEXEC";
/// The names the loader library goes by, the one bevy_mod_openxr asks for first.
const LOADER_NAMES: [&str; 2] = ["libopenxr_loader.so", "libopenxr_loader.so.1"];

/// A headset that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headset {
    /// The runtime, with its version (e.g. "Monado 21.0.0").
    pub runtime: String,
    /// The headset's name as the runtime gives it.
    pub system: String,
    /// How the loader was found: the name or path it was loaded by.
    pub loader: String,
    /// What the runtime and its headset offer beyond OpenXR's core.
    pub offers: Offers,
}

/// The optional parts of OpenXR the client uses, as the runtime and its headset offer them:
/// the session asks for exactly these, so a runtime is never asked for (or suggested bindings
/// for) something it refuses, and a normal start logs no error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offers {
    /// Hand tracking (XR_EXT_hand_tracking), and the headset tracks hands.
    pub hand_tracking: bool,
    /// The Meta Quest Pro / Quest 3 controllers' profile (XR_META_touch_controller_plus).
    pub touch_controller_plus: bool,
}

/// Why there is no headset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoHeadset {
    /// No OpenXR loader library on this machine.
    NoLoader {
        /// What was tried, and why each failed.
        tried: Vec<String>,
    },
    /// A loader, but no runtime is installed or active.
    NoRuntime {
        /// The failing call and its result.
        detail: String,
    },
    /// A runtime, but no headset is connected (or it is asleep).
    NotConnected {
        /// The runtime, and the failing call.
        detail: String,
    },
    /// Something else failed on the way.
    Failed {
        /// The OpenXR call that failed, and its result.
        detail: String,
    },
}

impl NoHeadset {
    /// What to tell the citizen.
    pub fn sentence(&self) -> ModeSentence {
        match self {
            NoHeadset::NoLoader { .. } => ModeSentence::NoSoftware,
            NoHeadset::NoRuntime { .. } => ModeSentence::NoRuntime,
            NoHeadset::NotConnected { .. } => ModeSentence::NotConnected,
            NoHeadset::Failed { .. } => ModeSentence::CouldNotStart,
        }
    }

    /// What went wrong, for the log.
    pub fn detail(&self) -> String {
        match self {
            NoHeadset::NoLoader { tried } => format!("no OpenXR loader: {}", tried.join("; ")),
            NoHeadset::NoRuntime { detail }
            | NoHeadset::NotConnected { detail }
            | NoHeadset::Failed { detail } => detail.clone(),
        }
    }

    /// Whether an OpenXR runtime is present at all (in `--mode auto`, the client only tells
    /// the citizen why XR did not start when there was something to start).
    pub fn runtime_present(&self) -> bool {
        matches!(
            self,
            NoHeadset::NotConnected { .. } | NoHeadset::Failed { .. }
        )
    }
}

/// The loader candidates, in order.
fn candidates() -> Vec<OsString> {
    match std::env::var_os(LOADER_VARIABLE) {
        Some(path) if !path.is_empty() => vec![path],
        _ => LOADER_NAMES.iter().map(OsString::from).collect(),
    }
}

/// Opens the loader library at `path` (a file name is looked up like any shared library).
#[allow(unsafe_code)]
fn open_loader(path: &Path) -> Result<openxr::Entry, openxr::LoadError> {
    // SAFETY: loading a library runs its initialisers, and the entry points are then called
    // through the signatures the OpenXR specification gives them. A library named
    // libopenxr_loader (or named by AGORA_OPENXR_LOADER, which the citizen sets on purpose) is
    // the Khronos OpenXR loader, which provides exactly those entry points.
    unsafe { openxr::Entry::load_from(path) }
}

/// Loads the first loader that opens.
fn load_entry() -> Result<(openxr::Entry, String), NoHeadset> {
    let mut tried = Vec::new();
    for name in candidates() {
        match open_loader(Path::new(&name)) {
            Ok(entry) => return Ok((entry, name.to_string_lossy().into_owned())),
            Err(error) => tried.push(format!("{}: {error}", name.to_string_lossy())),
        }
    }
    Err(NoHeadset::NoLoader { tried })
}

/// Where the active OpenXR runtime's manifest is, looked for as the loader looks (OpenXR
/// loader specification, Linux): `XR_RUNTIME_JSON`, then `active_runtime[.x86_64].json` under
/// `openxr/1/` in `$XDG_CONFIG_HOME` (`~/.config`), each of `$XDG_CONFIG_DIRS` (`/etc/xdg`) and
/// `/etc`. `None` means no runtime is installed: in `--mode auto` the loader is then not even
/// opened (it would print its own errors about the missing runtime).
pub fn runtime_manifest() -> Option<PathBuf> {
    let variable = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = variable("XR_RUNTIME_JSON") {
        // The loader looks nowhere else when this is set.
        return Some(PathBuf::from(path)).filter(|path| path.exists());
    }
    let mut folders = Vec::new();
    match variable("XDG_CONFIG_HOME") {
        Some(config) => folders.push(PathBuf::from(config)),
        None => folders.extend(variable("HOME").map(|home| PathBuf::from(home).join(".config"))),
    }
    let system = variable("XDG_CONFIG_DIRS").unwrap_or_else(|| "/etc/xdg".into());
    folders.extend(std::env::split_paths(&system));
    folders.push(PathBuf::from("/etc"));
    let names = [
        format!("active_runtime.{}.json", std::env::consts::ARCH),
        "active_runtime.json".to_owned(),
    ];
    folders
        .iter()
        .flat_map(|folder| {
            names
                .iter()
                .map(move |name| folder.join("openxr/1").join(name))
        })
        .find(|path| path.exists())
}

/// Asks OpenXR for a head-mounted display, and lets it go again.
pub fn probe() -> Result<Headset, NoHeadset> {
    let (entry, loader) = load_entry()?;
    let extensions = entry
        .enumerate_extensions()
        .map_err(|result| NoHeadset::NoRuntime {
            detail: format!("xrEnumerateInstanceExtensionProperties failed: {result}"),
        })?;
    if !extensions.khr_vulkan_enable2 && !extensions.khr_vulkan_enable {
        return Err(NoHeadset::Failed {
            detail: "the OpenXR runtime offers no Vulkan graphics binding (XR_KHR_vulkan_enable2)"
                .into(),
        });
    }
    let app = openxr::ApplicationInfo {
        application_name: "Agora",
        application_version: 1,
        engine_name: "Bevy",
        engine_version: 19,
        api_version: openxr::Version::new(1, 0, 0),
    };
    // Hand tracking is asked for where the runtime has it, to ask the headset whether it
    // tracks hands (a runtime may offer the extension for headsets that do not).
    let mut wanted = openxr::ExtensionSet::default();
    wanted.ext_hand_tracking = extensions.ext_hand_tracking;
    let instance = entry
        .create_instance(&app, &wanted, &[])
        .map_err(|result| match result {
            openxr::sys::Result::ERROR_RUNTIME_UNAVAILABLE
            | openxr::sys::Result::ERROR_RUNTIME_FAILURE => NoHeadset::NoRuntime {
                detail: format!("xrCreateInstance failed: {result}"),
            },
            _ => NoHeadset::Failed {
                detail: format!("xrCreateInstance failed: {result}"),
            },
        })?;
    let runtime = instance
        .properties()
        .map(|p| format!("{} {}", p.runtime_name, p.runtime_version))
        .unwrap_or_else(|_| "an OpenXR runtime".into());
    let system = instance
        .system(openxr::FormFactor::HEAD_MOUNTED_DISPLAY)
        .map_err(|result| match result {
            openxr::sys::Result::ERROR_FORM_FACTOR_UNAVAILABLE => NoHeadset::NotConnected {
                detail: format!("{runtime}: xrGetSystem(HEAD_MOUNTED_DISPLAY) failed: {result}"),
            },
            _ => NoHeadset::Failed {
                detail: format!("{runtime}: xrGetSystem(HEAD_MOUNTED_DISPLAY) failed: {result}"),
            },
        })?;
    let offers = Offers {
        hand_tracking: extensions.ext_hand_tracking
            && instance.supports_hand_tracking(system).unwrap_or(false),
        touch_controller_plus: extensions.meta_touch_controller_plus,
    };
    let system = instance
        .system_properties(system)
        .map(|p| p.system_name)
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "a headset".into());
    Ok(Headset {
        runtime,
        system,
        loader,
        offers,
    })
}

/// When the loader was found only by its versioned name (or a path), starts this program again
/// with a private folder on the library path that holds the plain name bevy_mod_openxr asks
/// for, pointing at it. Returns only when no restart was needed, or it was not possible (the
/// reason is returned, and XR is then not tried).
pub fn reexec_with_loader(headset: &Headset) -> Result<(), String> {
    if headset.loader == LOADER_NAMES[0] || std::env::var_os(REEXEC_VARIABLE).is_some() {
        return Ok(());
    }
    let library = loaded_path(&headset.loader)
        .ok_or_else(|| format!("cannot tell where {} was loaded from", headset.loader))?;
    let folder = private_folder()?;
    let link = folder.join(LOADER_NAMES[0]);
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&library, &link)
        .map_err(|error| format!("cannot link {}: {error}", link.display()))?;
    let mut path = OsString::from(folder.as_os_str());
    if let Some(existing) = std::env::var_os("LD_LIBRARY_PATH").filter(|p| !p.is_empty()) {
        path.push(":");
        path.push(existing);
    }
    let program = std::env::current_exe()
        .map_err(|error| format!("cannot find this program to restart it: {error}"))?;
    use std::os::unix::process::CommandExt;
    let error = std::process::Command::new(program)
        .args(std::env::args_os().skip(1))
        .env("LD_LIBRARY_PATH", path)
        .env(REEXEC_VARIABLE, "1")
        .exec();
    Err(format!("cannot restart with the OpenXR loader: {error}"))
}

/// A folder only this user writes to, for the loader link.
fn private_folder() -> Result<PathBuf, String> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|d| d.cache_dir().to_owned()))
        .ok_or("no runtime or cache folder for the OpenXR loader link")?;
    let folder = base.join("agora").join("openxr");
    std::fs::create_dir_all(&folder)
        .map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
    Ok(folder)
}

/// The file the loader called `name` is loaded from: the path itself, or for a bare name the
/// file this process maps while it holds the library open.
fn loaded_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return std::fs::canonicalize(name).ok();
    }
    // The entry only keeps the library mapped while we look.
    let _entry = open_loader(Path::new(name)).ok()?;
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .map(PathBuf::from)
        .find(|path| {
            path.file_name()
                .is_some_and(|file| file.to_string_lossy().starts_with(name))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_says_the_plaza_opens_on_the_desktop_and_has_a_detail() {
        for reason in [
            NoHeadset::NoLoader {
                tried: vec!["libopenxr_loader.so: not found".into()],
            },
            NoHeadset::NoRuntime {
                detail: "xrCreateInstance failed: XR_ERROR_RUNTIME_UNAVAILABLE".into(),
            },
            NoHeadset::NotConnected {
                detail: "xrGetSystem".into(),
            },
            NoHeadset::Failed {
                detail: "xrGetSystem".into(),
            },
        ] {
            let sentence = reason.sentence().text(crate::lang::Lang::En);
            assert!(sentence.ends_with("opens on the desktop."), "{sentence}");
            assert!(!reason.detail().is_empty());
        }
    }
}
