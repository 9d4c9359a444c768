# The client's own words, in English: panels, kiosk, headset, dashboards, command line.
# Both languages have the same messages with the same variables (the tests check it).

## The service windows' panels. What a service says comes from its catalog; these are the
## words around it.

panel-apply-tab = Apply
panel-mine-tab = My applications
panel-required = required
panel-optional = optional
panel-yes = Yes
panel-no = No
panel-latitude = Latitude
panel-longitude = Longitude
panel-date-hint = YYYY-MM-DD
panel-how-decided = How it is decided
panel-fill-in-to-see = Fill in the form to see what the published policy will most likely decide.
panel-to-review = Review my application  →
panel-fix-marked = Some answers need attention: see the fields marked in red.
panel-review-title = Check your application
panel-review-intro = This is exactly what you will sign and send. Nothing is sent until you sign.
panel-not-answered = (not answered)
panel-signed-as = Signed as
panel-new-identity-signer = a new identity you create in the next step
panel-policy = Decided by the published policy
panel-change-answers = ←  Change answers
panel-continue-to-sign = Sign and send  →
panel-sign-title = Sign with your identity
panel-enter-pin = Enter your PIN to sign this application with your key.
panel-pin = PIN
panel-pin-again = PIN again
panel-first-time = This device has no identity yet. Choose a PIN: it protects your key, which stays on this device and signs your applications.
panel-pin-rules = At least 6 characters. Five wrong tries lock the key for a while.
panel-pins-differ = The two PINs differ.
panel-pin-too-short = The PIN needs at least 6 characters.
panel-sign-and-submit = Sign and send
panel-create-and-sign = Create my identity, sign and send
panel-back = ←  Back
panel-working-identity = Creating your identity…
panel-working-sign = Signing and storing your application…
panel-opening = Opening your archive…
panel-sent-title = Your application
panel-queued-words = Stored safely on this device and being delivered to the ledger. You can walk away: it keeps going.
panel-anchored-words = Recorded on the ledger. Waiting for the department's decision…
panel-failed-words = The ledger refused this application.
panel-save-receipt = Save the receipt to a file
panel-saved-to = Receipt saved to
panel-verify-hint = Anyone can check it offline with:  agora verify
panel-demo-decision = Demo: decided by the demo departments, whose keys are public. This is not a real decision.
panel-decided-by-officer = Decided by an officer of the
panel-new-application = Start a new application
panel-nothing-yet = You have not applied for anything yet.
panel-try-again = Try again
panel-problem = Something went wrong
panel-last-attempt = Last delivery attempt
panel-identity = Your identity
panel-no-identity = none yet: one is created when you first sign
panel-closed = This service is not accepting applications at the moment.
panel-comfort-tab = Comfort
panel-settings-tab = Settings
panel-settings-intro = How Agora speaks and looks to you. Changes take effect at once, keep what you have entered, and are kept for your next visit.
panel-settings-intro-visit = How Agora speaks and looks to you. Changes take effect at once, keep what you have entered, and end with your visit.
panel-language = Language
panel-contrast = Contrast
panel-contrast-standard = Standard
panel-contrast-high = High contrast
panel-text-size = Text size
panel-motion = Motion
panel-motion-full = Smooth
panel-motion-reduced = Reduced
panel-sound-title = Sound and captions
panel-sound = Sound
panel-sound-on = On
panel-sound-off = Off
panel-volume = Volume
panel-ambience-volume = Surroundings
panel-cue-volume = Cues
panel-captions = Captions
panel-captions-on = Show
panel-captions-off = Hide
panel-caption-size = Caption size
panel-caption-size-text = As text
panel-comfort-intro = How you move and stand in the headset. Changes take effect at once and are kept for your next visit.
panel-snap-turn = Snap turn
panel-moving = Moving
panel-teleport = Teleport (aim an arc)
panel-glide = Glide (smooth movement)
panel-vignette = Darken the edges of the view while moving
panel-posture = Posture
panel-standing = Standing
panel-seated = Seated
panel-seated-raise = Raise the view by
panel-leading-hand = Leading hand (moves; the other turns)
panel-left-hand = Left
panel-right-hand = Right
panel-comfort-saved = Saved to
panel-key-space = space
panel-key-done = Done
panel-key-delete = Delete
panel-visit-sign = This kiosk made a key for your visit only. It signs your application now and is wiped when you finish; no PIN is needed.
panel-visit-signer = a key for this visit only
panel-receipt-qr = Your receipt
panel-receipt-qr-hint = Scan it with your phone to keep it. It proves your application was recorded (and how it was decided) without your answers; check it at home with `agora verify`.
panel-receipt-code = Reference

## The dashboards' painted words

dashboard-waiting = Waiting for data…
dashboard-unavailable = No data: the source cannot be reached
dashboard-no-charts = No charts configured
dashboard-hint = Press T or click the screen for a table of these numbers
dashboard-table-hint = Press T or click the screen to see the charts again
dashboard-updated = Updated { $time }
dashboard-stale-since = Stale since { $time }
dashboard-table-time = Time
dashboard-table-value = Value
dashboard-booth-empty = Live city data will appear here

## Units a feed may give, as this language writes them. A unit without a message here
## (µg/m³, km/h, AQI, …) is shown as the feed writes it.

unit-veh-per-h = veh/h
unit-vehicles-per-h = vehicles/h
unit-per-h = /h
unit-incidents = incidents
unit-min = min
unit-minutes = minutes
unit-permits = permits

## The plaza

plaza-city-hall = CITY HALL
controls-hint = Click to look around  ·  W A S D or arrow keys to walk  ·  Q / E to turn
controls-hint-captured = Move the mouse to look  ·  W A S D to walk, Shift to hurry  ·  Esc frees the mouse

## Why the plaza is on the desktop and not in a headset

xr-no-software = No headset software (OpenXR) is installed on this computer, so the plaza opens on the desktop.
xr-no-runtime = No headset runtime (such as SteamVR or Monado) is running, so the plaza opens on the desktop.
xr-not-connected = No headset is connected or awake, so the plaza opens on the desktop.
xr-could-not-start = The headset could not be started, so the plaza opens on the desktop.
xr-session-ended = The headset session ended; the plaza continues on the desktop.

## The kiosk. Its attract screen shows both languages at once, each from its own file.

kiosk-touch-to-start = Touch to start
kiosk-welcome = Apply for a city service, sign it here, and take your receipt home as a QR code.
kiosk-choose-language = Choose your language
kiosk-services = Services
kiosk-my-receipt = My receipt (QR code)
kiosk-finish = Finish
kiosk-finish-wipes = Finish wipes everything you entered here.
kiosk-still-there = Are you still there?
kiosk-visit-ends = This visit ends in { $seconds ->
        [one] one second
       *[other] { $seconds } seconds
    }, and everything you entered is wiped.
kiosk-touch-to-continue = Touch to continue
kiosk-operator-pin = Operator PIN
kiosk-wrong-pin = Wrong PIN
kiosk-pin-locked = Too many wrong PINs: wait { $seconds } s
kiosk-cancel = Cancel
kiosk-receipt-waiting = Waiting for the department's decision. Wait here for the decided receipt, or take this one: it proves your application was recorded.
kiosk-back-to-application = Back to my application

kiosk-my-receipt-short = My receipt
kiosk-example-hall = Civic Centre Service Hall
kiosk-ok = OK

## Moments, in the city's time zone. $hour and $minute have two digits (09:05), $day and
## $month none; $month-name is what time-month writes.

time-month = { $month ->
    [1] Jan
    [2] Feb
    [3] Mar
    [4] Apr
    [5] May
    [6] Jun
    [7] Jul
    [8] Aug
    [9] Sep
    [10] Oct
    [11] Nov
   *[12] Dec
  }
time-clock = { $hour }:{ $minute }
time-day = { $day } { $month-name }
time-day-clock = { $day } { $month-name } { $hour }:{ $minute }
time-full = { $day } { $month-name } { $year }, { $hour }:{ $minute }

## Languages, each named in its own file as it names itself

language-name = English
language-short = EN

## `agora status`: an application's history, for people

status-decided-by-officer = decided by an officer of the { $department }
status-demo-decision = demo: decided by the demo departments, whose keys are public; not a real decision
status-last-attempt = last delivery attempt: { $error }

## `agora verify`: what a signed document or a receipt proves, for people. Keys, hashes,
## identifiers and times are given as they are written in the document.

verify-document-valid = valid: { $file } was signed by { $signer } (eddsa-jcs-2022, assertionMethod)
verify-document-valid-created = valid: { $file } was signed by { $signer } on { $created } (eddsa-jcs-2022, assertionMethod)
verify-issuer-not-did-key = its issuer { $issuer } is not a did:key, so nothing here ties it to the key that signed
verify-document-invalid = { $file } is not valid: { $error }
verify-document-wrong-issuer = { $file } is not valid: it names the issuer { $issuer }, but { $signer } signed it
verify-no-code-in-picture = { $file }: no Agora receipt's QR code found in the picture ({ $others ->
    [one] 1 other QR code
   *[other] { $others } other QR codes
  })
verify-code-given = the code given
verify-code-in-picture = the QR code in { $file }
verify-code-invalid = { $source } is not a valid receipt code: { $error }
verify-code-valid = valid receipt code: { $source }
verify-code-application = application { $id } (reference { $reference }) to `{ $service }`, by { $applicant }
verify-code-no-answers = the application's SHA-256 is { $sha256 }; the code holds no answers (the department holds them, sealed to its key)
verify-code-not-on-chain = --chain checks a full receipt (JSON); a receipt code is checked offline
verify-receipt-invalid = { $file } is not a valid receipt: { $error }
verify-receipt-valid = valid receipt: { $file }
verify-receipt-application = application { $id } to `{ $service }`, signed by { $applicant }
verify-receipt-first-version = a version 1 receipt: its decision does not name where the application was anchored, so its time rests on the ledger key alone
verify-anchored-leaf = anchored at leaf { $index } on { $time }, in a tree of { $size } entries signed by the ledger key
verify-trust-own = this device's own embedded ledger
verify-trust-pinned = pinned with --trust-ledger
verify-trust-listed = listed in { $file }
verify-ledger-trusted = trusted
verify-anchored-position = anchored at position { $index } on { $time }, in block { $block } ({ $hash }) of the registry
verify-registry-trusted = { $registry } (trusted)
verify-chain-not-checked = that the batch and the decision are on that chain, in final blocks, was not checked: add --chain URL
verify-decided-by-officer = an officer of the { $department } ({ $officer }, delegated by the department's key { $key } until { $until })
verify-decided-by-department = { $department } ({ $key })
verify-decided = decided: { $outcome ->
    [approve] approve
    [reject] reject
   *[refer] refer
  } by { $by }, policy { $policy } v{ $version }
verify-demo-decision = DEMO: this decision was signed with a demo department's key, whose secret half is published with Agora: anyone could have signed it, so it decides nothing for real
verify-not-decided = not decided yet

## Captions: one for every sound, in brackets; a spatial sound says where it comes from.
caption-line = [{ $sound }]
caption-line-from = [{ $sound }, { $side }]
caption-line-fading = [{ $sound } fading, { $side }]
caption-fountain = Fountain
caption-traffic = Traffic on the avenue
caption-birds = Birds in the trees
caption-murmur = People talking
caption-steps = Your footsteps
caption-hover = Soft tick
caption-press = Click
caption-key = Key tap
caption-error = Low double tone: something to fix
caption-queued = Chime: application sent
caption-recorded = Rising chime: recorded on the ledger
caption-approved = Bright rising chimes: application approved
caption-rejected = Low falling tones: application rejected
caption-referred = Two even tones: referred to an officer
caption-countdown = Tick: your visit is ending
caption-side-ahead = ahead
caption-side-ahead-right = ahead right
caption-side-right = right
caption-side-behind-right = behind right
caption-side-behind = behind
caption-side-behind-left = behind left
caption-side-left = left
caption-side-ahead-left = ahead left
caption-side-around = all around
