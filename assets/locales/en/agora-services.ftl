# The messages agora-services produces itself, in English.
# Ids are the messages' keys with the dot written as a hyphen: form.too-long is form-too-long.

## access

access-automatic-review = Opened by the { $department } for its automatic review
access-officer-review = Opened by an officer of the { $department } to decide it

## form

form-not-an-object = The answers must be a JSON object that gives each field its value.
form-unknown-field = “{ $field }” is not a field of this form.
form-required = { $field }: this field is required.
form-expected-text = { $field }: expected text.
form-line-breaks = { $field }: write a single line, without line breaks or control characters.
form-control-characters = { $field }: the text contains control characters; remove them.
form-too-short = { $field }: write at least { $min ->
        [one] one character
       *[other] { $min } characters
    } (now { $length }).
form-too-long = { $field }: write at most { $max ->
        [one] one character
       *[other] { $max } characters
    } (now { $length }).
form-pattern-mismatch = { $field }: expected { $format }.
form-expected-number = { $field }: expected a number, in { $unit }.
form-expected-whole-number = { $field }: expected a whole number.
form-out-of-range = { $field }: expected a number from { $min } to { $max } { $unit }.
form-expected-date = { $field }: expected a date written YYYY-MM-DD, such as 2026-05-04.
form-no-such-date = { $field }: { $value } is not a date in the calendar.
form-date-too-early = { $field }: expected { $min } or later.
form-date-too-late = { $field }: expected { $max } or earlier.
form-expected-choice = { $field }: choose one of: { $options }.
form-expected-yes-no = { $field }: answer yes or no.
form-must-be-yes = { $field }: you must answer yes to submit this application.
form-expected-location = { $field }: expected a location with a latitude (lat) and a longitude (lon) in degrees.
form-bad-latitude = { $field }: the latitude must be between -90 and 90 degrees.
form-bad-longitude = { $field }: the longitude must be between -180 and 180 degrees.
form-outside-area = { $field }: the location is outside { $area }.

## review

review-invalid-answers = The answers do not fit the service's form; correct the fields listed.
review-policy-failed = The automatic review could not finish (rule “{ $rule }”), so an officer will review the application.
review-closed = This service is not accepting applications at the moment.
review-wrong-service = This application is for the service “{ $found }”, not “{ $expected }”.
review-wrong-applicant = The application's applicant is not the one who submitted it.

## outcome

outcome-approve = Approved
outcome-reject = Rejected
outcome-refer = Referred to an officer
outcome-likely-approve = This application will likely be approved.
outcome-likely-reject = This application will likely be rejected.
outcome-likely-refer = This application will likely go to an officer for review.

## status

status-draft = Draft
status-signed = Signed
status-queued = Queued for sending
status-anchored = Recorded on the ledger
status-decided-approve = Decided: approved
status-decided-reject = Decided: rejected
status-decided-refer = Referred to an officer
status-failed = Failed

## review

review-officer = The officer: { $reason }
review-other-catalog = The department could not read this application with its own catalog ({ $problem }), so an officer will decide it.
review-unreadable = The department could not read this application ({ $problem }), so it was refused. Submit it again from Agora.
