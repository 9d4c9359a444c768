//! A screen reader at the desktop plaza, headless: once a reader asks for the accessibility
//! tree, the open panel's tree (in the citizen's language) takes the window's place and Bevy's
//! own goes quiet; the reader's actions reach the panel's widgets; walking away gives the
//! window back to Bevy's tree. The platform's adapter itself needs a window (see
//! `panel::reader`).

use agora_client::citizen::Citizen;
use agora_client::lang::Lang;
use agora_client::panel::reader::ReaderFollows;
use agora_client::panel::ui::Tab;
use agora_client::panel::{PanelContext, Panels};
use agora_client::scene::ServiceWindow;
use bevy::a11y::{AccessibilityRequested, ActionRequest, ManageAccessibilityUpdates};
use bevy::prelude::*;
use bevy_egui::EguiOutput;
use bevy_egui::egui::accesskit::{self, Action, Role};

fn plaza(lang: Lang) -> (App, tempfile::TempDir) {
    let home = tempfile::tempdir().expect("a temporary home");
    let mut app = crate::desktop_plaza(home.path(), lang);
    app.update();
    (app, home)
}

/// Puts the citizen where a booth's panel opens (or far from every booth).
fn stand(app: &mut App, at_booth: Option<&str>) {
    let world = app.world_mut();
    let spot = match at_booth {
        Some(service) => {
            let mut booths = world.query::<(&ServiceWindow, &GlobalTransform)>();
            let booth = booths
                .iter(world)
                .find(|(w, _)| w.service == service)
                .map(|(_, at)| at.compute_transform())
                .expect("the booth");
            booth.transform_point(Vec3::new(0.0, 0.0, -2.1))
        }
        None => Vec3::new(0.0, 0.0, 0.0),
    };
    let mut citizens = world.query_filtered::<&mut Transform, With<Citizen>>();
    for mut eyes in citizens.iter_mut(world) {
        eyes.translation.x = spot.x;
        eyes.translation.z = spot.z;
    }
}

/// The panel's accessibility tree as the last frame built it.
fn tree(app: &mut App) -> Option<accesskit::TreeUpdate> {
    let world = app.world_mut();
    let mut outputs = world.query_filtered::<&EguiOutput, With<PanelContext>>();
    outputs
        .single(world)
        .ok()
        .and_then(|output| output.platform_output.accesskit_update.clone())
}

/// Whether a reader reads `text` for `node` (its label, or a text's value).
fn says(node: &accesskit::Node, text: &str) -> bool {
    node.label().is_some_and(|l| l.contains(text)) || node.value().is_some_and(|v| v.contains(text))
}

fn labelled<'a>(
    tree: &'a accesskit::TreeUpdate,
    label: &str,
    role: Role,
) -> Option<&'a (accesskit::NodeId, accesskit::Node)> {
    tree.nodes
        .iter()
        .find(|(_, node)| node.role() == role && says(node, label))
}

#[test]
fn a_screen_reader_reads_the_open_panel_and_acts_on_it() {
    let (mut app, _home) = plaza(Lang::ZhCn);
    stand(&mut app, Some("parking-permit"));
    for _ in 0..3 {
        app.update();
    }
    assert!(
        app.world().resource::<Panels>().open.is_some(),
        "the panel opened"
    );
    // No reader yet: no tree is built, and Bevy keeps the window's.
    assert!(tree(&mut app).is_none());
    assert!(app.world().resource::<ManageAccessibilityUpdates>().get());

    app.world().resource::<AccessibilityRequested>().set(true);
    for _ in 0..3 {
        app.update();
    }
    let built = tree(&mut app).expect("the panel builds its tree for the reader");
    assert!(app.world().resource::<ReaderFollows>().0);
    assert!(
        !app.world().resource::<ManageAccessibilityUpdates>().get(),
        "Bevy's own tree gives the window to the panel's"
    );
    // In the citizen's language: the tabs and the form's first field.
    let settings = labelled(&built, "设置", Role::Button)
        .or_else(|| labelled(&built, "设置", Role::Tab))
        .map(|(id, _)| *id)
        .expect("the Settings tab, in Chinese");
    let service = agora_services::Catalog::embedded()
        .expect("catalog")
        .service("parking-permit")
        .cloned()
        .expect("the parking permit");
    let first = &service.form.fields()[0];
    assert!(
        built.nodes.iter().any(|(_, n)| says(n, &first.label.zh_cn)),
        "the first field's label is read"
    );

    // What a reader walks is the tree from its root: the tab is reached from there.
    let root = built.tree.as_ref().expect("a whole tree").root;
    let mut reached = vec![root];
    let mut next = 0;
    while next < reached.len() {
        let at = reached[next];
        next += 1;
        if let Some((_, node)) = built.nodes.iter().find(|(id, _)| *id == at) {
            reached.extend(node.children().iter().copied());
        }
    }
    assert!(
        reached.contains(&settings),
        "the Settings tab hangs off the root"
    );

    // The reader clicks the Settings tab.
    app.world_mut()
        .write_message(ActionRequest(accesskit::ActionRequest {
            action: Action::Click,
            target_tree: accesskit::TreeId::ROOT,
            target_node: settings,
            data: None,
        }));
    for _ in 0..3 {
        app.update();
    }
    let panels = app.world().resource::<Panels>();
    let (open, _) = panels.open.clone().expect("still open");
    assert_eq!(panels.windows[&open].tab, Tab::Settings);

    // Walking away: the window's tree is Bevy's again.
    stand(&mut app, None);
    for _ in 0..3 {
        app.update();
    }
    assert!(app.world().resource::<Panels>().open.is_none());
    assert!(!app.world().resource::<ReaderFollows>().0);
    assert!(app.world().resource::<ManageAccessibilityUpdates>().get());
}
