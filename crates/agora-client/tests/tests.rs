//! Integration tests of the plaza client: one binary, one module per feature.

mod budget;
mod citizen;
mod city;
mod cli;
mod dashboards;
#[cfg(feature = "evm")]
mod evm;
mod gateway;
mod identity;
mod kiosk;
mod panel;
mod raster;
mod reader;
mod scene;
mod services;
mod sound;
mod xr;

use std::path::{Path, PathBuf};
use std::time::Duration;

use agora_client::core_plugin;
use agora_client::lang::{Lang, UiFont};
use agora_client::scene::layout::PlazaLayout;
use bevy::input::InputPlugin;
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use bevy::window::ExitCondition;

/// A file under `tests/data/`.
fn data(name: &str) -> PathBuf {
    PathBuf::from(manifest_dir()).join("tests/data").join(name)
}

/// The layout shipped in `scenes/plaza.ron`.
fn shipped_plaza() -> PathBuf {
    PathBuf::from(manifest_dir()).join("../../scenes/plaza.ron")
}

/// This package's directory, read when the test runs rather than when it was compiled: a build
/// cache shared between clones (CI's target directory under $HOME) may hold a binary compiled
/// in another checkout, whose compile-time path would point there.
pub(crate) fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR when it runs tests")
}

/// The shipped plaza with a citizen in it, input and no window; every update is 1/60 s. Not
/// updated yet, so that a test can add plugins with start-up systems first.
fn plaza_app() -> App {
    let layout = PlazaLayout::load(&shipped_plaza()).expect("the shipped plaza is valid");
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, TransformPlugin, InputPlugin))
        .add_plugins(WindowPlugin {
            primary_window: None,
            exit_condition: ExitCondition::DontExit,
            ..default()
        })
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f32(
            1.0 / 60.0,
        )))
        .insert_resource(Lang::En)
        .insert_resource(UiFont(Handle::default()))
        .add_plugins(core_plugin(layout))
        .add_plugins(agora_client::citizen::plugin);
    app
}

/// The whole shipped plaza on the desktop with every plugin but a window (no renderer device,
/// the embedded ledger), speaking `lang`, its data directory `home`; finished, not updated yet.
fn desktop_plaza(home: &Path, lang: Lang) -> App {
    plaza_on(agora_client::headless_plugins(), home, lang)
}

/// [`desktop_plaza`] on `plugins` (Bevy's, less what a test leaves out or puts back).
fn plaza_on(plugins: bevy::app::PluginGroupBuilder, home: &Path, lang: Lang) -> App {
    let layout = PlazaLayout::load(&shipped_plaza()).expect("the shipped plaza");
    let mut app = App::new();
    app.add_plugins(plugins)
        .add_plugins(agora_client::PlazaPlugin {
            layout,
            lang,
            screenshot: None,
            home: home.to_owned(),
            catalog: agora_services::Catalog::embedded().expect("the built-in catalog"),
            catalog_source: agora_gateway::CatalogSource::Demo,
            ledger: agora_client::commands::gateway::LedgerSpec::Local,
            kiosk: None,
            xr: None,
        });
    app.finish();
    app.cleanup();
    app
}
