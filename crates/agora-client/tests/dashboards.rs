//! Dashboards, headless: the numbers a dashboard shows are the numbers its feed served, a feed
//! that fails shows "stale since …" with its last good value, and the stale state clears when
//! the feed recovers. The feed is a real HTTP server on loopback, started by the test. `T`
//! before a dashboard shows its table.

use std::f32::consts::PI;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agora_client::citizen::Citizen;
use agora_client::core_plugin;
use agora_client::dashboards::{Boards, feeds_plugin, toggle_table};
use agora_client::lang::Lang;
use agora_client::scene::layout::PlazaLayout;
use agora_client::screenshot::View;
use bevy::input::ButtonState;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::prelude::*;

/// What the test server answers next: a status and a body.
type Answer = Arc<Mutex<(u16, String)>>;

/// Serves `answer` to every request on an ephemeral loopback port, one connection at a time.
fn serve(answer: Answer) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            respond(stream, &answer);
        }
    });
    port
}

fn respond(mut stream: TcpStream, answer: &Answer) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let (status, body) = answer.lock().expect("the answer").clone();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn plaza_with_feed(port: u16) -> PlazaLayout {
    let text = format!(
        r##"(
    name: (en: "Test Square", zh_cn: "测试广场"),
    bounds: (half_width: 12.0, half_depth: 10.0),
    spawn: (position: (x: 0.0, z: 7.0), facing: 0.0),
    time_zone: "Europe/Berlin",
    windows: [(
        service: "parking-permit",
        position: (x: -6.0, z: -4.0),
        facing: 90.0,
        accent: "#336699",
        sign: (en: "Transport", zh_cn: "交通出行"),
    )],
    dashboards: [(
        id: "air",
        position: (x: 0.0, z: -7.5),
        facing: 180.0,
        title: (en: "Air", zh_cn: "空气"),
        charts: [(
            label: (en: "Air quality index", zh_cn: "空气质量指数"),
            kind: Gauge,
            unit: Some("AQI"),
            range: Some((0.0, 200.0)),
            source: Http(url: "http://127.0.0.1:{port}/air.json", value: "/aqi", time: Some("/at"), every: 1, allow_plain_http: true, allow_private_network: true),
        )],
    )],
)"##
    );
    PlazaLayout::parse(&text, std::path::Path::new("air.ron")).expect("a valid test plaza")
}

/// Updates the app until `ready` holds for the dashboard's state, or panics after two minutes (a bound for a hang; a healthy run takes a second).
fn wait_for(app: &mut App, what: &str, ready: impl Fn(&Boards) -> bool) {
    let start = Instant::now();
    app.update();
    while !ready(app.world().resource::<Boards>()) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "gave up waiting for {what}; the dashboard says {:#?}",
            app.world().resource::<Boards>().0[0].text
        );
        app.update();
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_dashboard_shows_what_its_feed_served_and_says_when_it_is_stale() {
    let answer: Answer = Arc::new(Mutex::new((
        200,
        r#"{"aqi": 42.5, "at": "2026-11-24T09:30:00Z"}"#.to_owned(),
    )));
    let port = serve(answer.clone());
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(Lang::En)
        .add_plugins(core_plugin(plaza_with_feed(port)))
        .add_plugins(feeds_plugin(agora_feeds::Options::default()));

    wait_for(&mut app, "the first value", |boards| {
        boards.0[0].text.charts[0].value == "42.5"
    });
    {
        let board = &app.world().resource::<Boards>().0[0];
        let chart = &board.text.charts[0];
        assert_eq!(chart.unit, "AQI");
        assert_eq!(chart.note, None, "a live feed has no note");
        // 42.5 on a 0..200 gauge.
        assert!(
            (chart.points[0].y - 0.2125).abs() < 1e-6,
            "{:?}",
            chart.points
        );
        // The served time, 09:30 UTC, is 10:30 in Berlin.
        assert_eq!(
            chart.rows[0],
            ("24 Nov 10:30".to_owned(), "42.5 AQI".to_owned())
        );
        assert!(
            board.text.status.starts_with("Updated "),
            "{}",
            board.text.status
        );
        assert!(!board.text.stale);
    }

    // The server starts failing: the last good value stays, marked stale since it came.
    *answer.lock().expect("the answer") = (500, "{}".to_owned());
    wait_for(&mut app, "the stale state", |boards| boards.0[0].text.stale);
    {
        let board = &app.world().resource::<Boards>().0[0];
        let chart = &board.text.charts[0];
        assert_eq!(chart.value, "42.5", "the last good value is still shown");
        let note = chart.note.as_deref().expect("a stale chart says so");
        assert!(note.starts_with("Stale since "), "{note}");
        assert!(
            board.text.status.starts_with("Stale since "),
            "{}",
            board.text.status
        );
    }

    // Garbage is no better than an error.
    *answer.lock().expect("the answer") = (200, r#"{"aqi": "n/a"}"#.to_owned());
    for _ in 0..50 {
        app.update();
    }
    assert!(app.world().resource::<Boards>().0[0].text.stale);
    assert_eq!(
        app.world().resource::<Boards>().0[0].text.charts[0].value,
        "42.5"
    );

    // The server recovers: the new value shows and the stale state clears.
    *answer.lock().expect("the answer") = (
        200,
        r#"{"aqi": 118, "at": "2026-11-24T09:45:00Z"}"#.to_owned(),
    );
    wait_for(&mut app, "the recovery", |boards| {
        !boards.0[0].text.stale && boards.0[0].text.charts[0].value == "118"
    });
    let chart = &app.world().resource::<Boards>().0[0].text.charts[0];
    assert_eq!(chart.note, None);
    assert_eq!(
        chart.rows[..2],
        [
            // One number of decimals down the column.
            ("24 Nov 10:45".to_owned(), "118.0 AQI".to_owned()),
            ("24 Nov 10:30".to_owned(), "42.5 AQI".to_owned()),
        ]
    );
}

#[test]
fn the_shipped_plaza_fills_every_dashboard_from_the_simulated_city() {
    let layout = PlazaLayout::load(&crate::shipped_plaza()).expect("the shipped plaza");
    let charts: usize = layout.dashboards.iter().map(|d| d.charts.len()).sum();
    assert!(charts >= 5, "the shipped plaza shows at least five charts");
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(Lang::ZhCn)
        .add_plugins(core_plugin(layout))
        .add_plugins(feeds_plugin(agora_feeds::Options::default()));
    wait_for(&mut app, "every simulated feed", |boards| {
        boards.0.iter().all(|b| {
            b.text
                .charts
                .iter()
                .all(|c| c.note.is_none() && c.value != "–")
        })
    });
    for board in &app.world().resource::<Boards>().0 {
        assert!(
            board.text.status.starts_with("更新于 "),
            "{}",
            board.text.status
        );
        for chart in &board.text.charts {
            assert!(!chart.unit.is_empty(), "{:?} has a unit", chart.label);
            assert!(!chart.points.is_empty());
            assert!(chart.points.iter().all(|p| (0.0..=1.0).contains(&p.y)));
        }
    }
    // The citizen switches to English: every screen says so at once, not at its next reading.
    *app.world_mut().resource_mut::<Lang>() = Lang::En;
    app.update();
    for board in &app.world().resource::<Boards>().0 {
        assert!(
            board.text.status.starts_with("Updated "),
            "{}",
            board.text.status
        );
    }
}

#[test]
fn t_before_a_dashboard_shows_its_table_and_t_again_shows_the_charts() {
    let layout = PlazaLayout::load(&crate::shipped_plaza()).expect("the shipped plaza");
    let index = layout
        .dashboards
        .iter()
        .position(|d| d.id == "air-quality")
        .expect("the shipped plaza has an air quality dashboard");
    let pose = View::Dashboard {
        id: "air-quality".into(),
        table: false,
    }
    .camera(&layout)
    .expect("a dashboard view has a pose");
    let mut app = crate::plaza_app();
    app.add_plugins(feeds_plugin(agora_feeds::Options::default()))
        .add_systems(Update, toggle_table);
    app.update();
    let stand = |app: &mut App, pose: Transform| {
        let (yaw, pitch, _) = pose.rotation.to_euler(EulerRot::YXZ);
        let mut citizens = app.world_mut().query::<(&mut Transform, &mut Citizen)>();
        for (mut transform, mut citizen) in citizens.iter_mut(app.world_mut()) {
            *transform = pose;
            *citizen = Citizen { yaw, pitch };
        }
        app.update();
    };
    // A key press as the window sends it, so that it is "just pressed" for one frame.
    let press_t = |app: &mut App| {
        for state in [ButtonState::Pressed, ButtonState::Released] {
            app.world_mut().write_message(KeyboardInput {
                key_code: KeyCode::KeyT,
                logical_key: Key::Character("t".into()),
                state,
                text: None,
                repeat: false,
                window: Entity::PLACEHOLDER,
            });
            app.update();
        }
        app.world().resource::<Boards>().0[index].table
    };
    let tables = |app: &App| -> Vec<bool> {
        app.world()
            .resource::<Boards>()
            .0
            .iter()
            .map(|b| b.table)
            .collect()
    };

    stand(&mut app, pose);
    assert!(press_t(&mut app), "T before the dashboard shows its table");
    let shown = tables(&app);
    assert_eq!(
        shown.iter().filter(|t| **t).count(),
        1,
        "only the dashboard looked at changes: {shown:?}"
    );
    assert!(!press_t(&mut app), "T again shows the charts");

    // Turned away, T changes nothing.
    stand(
        &mut app,
        pose * Transform::from_rotation(Quat::from_rotation_y(PI)),
    );
    assert!(!press_t(&mut app));
    assert!(tables(&app).iter().all(|t| !t));
}
