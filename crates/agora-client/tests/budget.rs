//! The shipped plaza within a standalone headset's budget: at most 200 draw calls and 500,000
//! triangles per view. Counted on the built scene with no GPU: a draw call per distinct pair of
//! mesh and material among the visible mesh entities (Bevy draws every entity sharing both in
//! one instanced call; it may merge more with multi-draw, so this is an upper bound for the
//! main pass), and every entity's triangles added up. `cargo xtask test` prints the numbers,
//! with the entity count beside them.

use std::collections::HashSet;

use agora_client::dashboards::Boards;
use agora_client::dashboards::material::ChartMaterial;
use agora_client::lang::Lang;
use bevy::mesh::{Indices, VertexAttributeValues};
use bevy::prelude::*;

/// A standalone headset's budget per view.
const MAX_DRAW_CALLS: usize = 200;
const MAX_TRIANGLES: usize = 500_000;

fn triangles(mesh: &Mesh) -> usize {
    match mesh.indices() {
        Some(Indices::U16(i)) => i.len() / 3,
        Some(Indices::U32(i)) => i.len() / 3,
        None => match mesh.attribute(Mesh::ATTRIBUTE_POSITION) {
            Some(VertexAttributeValues::Float32x3(p)) => p.len() / 3,
            _ => 0,
        },
    }
}

#[test]
fn the_shipped_plaza_fits_a_standalone_headsets_budget() {
    let home = tempfile::tempdir().expect("a temporary home");
    let mut app = crate::desktop_plaza(home.path(), Lang::En);
    // The scene is built at start-up; dashboards build their charts once their feeds answer.
    let start = std::time::Instant::now();
    app.update();
    while !app.world().resource::<Boards>().settled() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "the dashboards' feeds never answered"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        app.update();
    }
    // The frame after the charts' meshes were rebuilt.
    app.update();
    let world = app.world_mut();
    let mut query = world.query::<(
        &Mesh3d,
        &InheritedVisibility,
        Option<&MeshMaterial3d<StandardMaterial>>,
        Option<&MeshMaterial3d<ChartMaterial>>,
        Option<&Name>,
    )>();
    let meshes = world.resource::<Assets<Mesh>>();
    let mut entities = 0;
    let mut batches = HashSet::new();
    let mut total = 0;
    let mut heaviest: Vec<(usize, String)> = Vec::new();
    for (mesh, visible, standard, chart, name) in query.iter(world) {
        if !visible.get() {
            continue;
        }
        let count = meshes.get(&mesh.0).map_or(0, triangles);
        entities += 1;
        let material = standard
            .map(|m| m.0.id().untyped())
            .or_else(|| chart.map(|m| m.0.id().untyped()));
        batches.insert((mesh.0.id(), material));
        total += count;
        heaviest.push((count, name.map_or("(unnamed)".into(), |n| n.to_string())));
    }
    let draws = batches.len();
    heaviest.sort_by_key(|h| std::cmp::Reverse(h.0));
    println!(
        "scene budget per view: {draws} draw calls (at most {MAX_DRAW_CALLS}; {entities} mesh \
         entities), {total} triangles (at most {MAX_TRIANGLES})"
    );
    for (count, name) in heaviest.iter().take(5) {
        println!("  {count:>7} triangles  {name}");
    }
    assert!(entities > 20, "the plaza was built ({entities} meshes)");
    assert!(
        draws <= MAX_DRAW_CALLS,
        "{draws} draw calls exceed the headset budget of {MAX_DRAW_CALLS}"
    );
    assert!(
        total <= MAX_TRIANGLES,
        "{total} triangles exceed the headset budget of {MAX_TRIANGLES}"
    );
}
