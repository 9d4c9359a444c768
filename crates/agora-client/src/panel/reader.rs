//! The open panel for a screen reader, on the desktop: egui builds the panel's accessibility
//! tree (the same one the tests read), and while a panel is open that tree is what the
//! window's AccessKit adapter (bevy_winit's) gives the platform's screen reader; the reader's
//! actions (focus, click, set a value) come back to the panel as egui events. With the panel
//! closed the window's tree is Bevy's own again.
//!
//! An adapter carries one tree per window, so the panel's tree takes the window's place rather
//! than joining it: the plaza around the panel has nothing a reader can act on, and the desktop
//! shows one panel at a time. The tree's bounds are the panel's own points (it is drawn into a
//! texture in the plaza), so a reader's highlight is not over the panel on the screen.
//!
//! On Linux the adapter speaks AT-SPI only when the build has the `screen-reader` feature
//! (bevy's `accesskit_unix`, which brings in a D-Bus client); Windows and macOS always have it.

use bevy::a11y::{
    AccessibilityRequested, AccessibilitySystems, ActionRequest, ManageAccessibilityUpdates,
};
use bevy::ecs::system::NonSendMarker;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiInputEvent;
use bevy_egui::{EguiContext, EguiOutput, EguiPostUpdateSet, egui};

use super::{PanelContext, Panels};
use crate::AppSystems;

/// Whether the panel's tree is the window's.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReaderFollows(pub bool);

/// Adds this feature to the app.
pub fn plugin(app: &mut App) {
    app.init_resource::<ReaderFollows>()
        .add_systems(
            Update,
            (listen, act).chain().in_set(AppSystems::RecordInput),
        )
        .add_systems(
            PostUpdate,
            hand_over
                .after(EguiPostUpdateSet::ProcessOutput)
                .before(AccessibilitySystems::Update),
        );
}

/// Once a screen reader asks for the tree, the panel builds it every frame.
fn listen(
    requested: Option<Res<AccessibilityRequested>>,
    mut contexts: Query<&mut EguiContext, With<PanelContext>>,
    mut enabled: Local<bool>,
) {
    let wanted = requested.is_some_and(|r| r.get());
    if wanted == *enabled {
        return;
    }
    if wanted {
        info!("a screen reader asked for the accessibility tree");
    }
    for mut context in &mut contexts {
        if wanted {
            context.get_mut().enable_accesskit();
        } else {
            context.get_mut().disable_accesskit();
        }
    }
    *enabled = wanted;
}

/// The reader's actions on the open panel, as egui input.
fn act(
    mut requests: MessageReader<ActionRequest>,
    panels: Res<Panels>,
    contexts: Query<Entity, With<PanelContext>>,
    mut events: MessageWriter<EguiInputEvent>,
) {
    let Ok(context) = contexts.single() else {
        requests.clear();
        return;
    };
    for request in requests.read() {
        if panels.open.is_some() {
            events.write(EguiInputEvent {
                context,
                event: egui::Event::AccessKitActionRequest(request.0.clone()),
            });
        }
    }
}

/// The open panel's tree goes to the primary window's adapter; Bevy's comes back when it
/// closes.
fn hand_over(
    requested: Option<Res<AccessibilityRequested>>,
    manage: Option<ResMut<ManageAccessibilityUpdates>>,
    panels: Res<Panels>,
    outputs: Query<&EguiOutput, With<PanelContext>>,
    windows: Query<Entity, With<PrimaryWindow>>,
    mut follows: ResMut<ReaderFollows>,
    _main_thread: NonSendMarker,
) {
    let (Some(requested), Some(mut manage)) = (requested, manage) else {
        return;
    };
    let update = outputs
        .single()
        .ok()
        .and_then(|output| output.platform_output.accesskit_update.clone());
    let now = requested.get() && panels.open.is_some() && update.is_some();
    if now != follows.0 {
        manage.set(!now);
        follows.0 = now;
        if now {
            info!("a screen reader is reading the open panel");
        }
    }
    let (true, Some(update), Ok(window)) = (now, update, windows.single()) else {
        return;
    };
    bevy::winit::accessibility::ACCESS_KIT_ADAPTERS.with_borrow_mut(|adapters| {
        if let Some(adapter) = adapters.get_mut(&window) {
            adapter.update_if_active(|| update);
        }
    });
}
