# The messages agora-services produces itself, in Simplified Chinese.
# Ids are the messages' keys with the dot written as a hyphen: form.too-long is form-too-long.

## access

access-automatic-review = { $department }为自动审核打开了此申请
access-officer-review = { $department }的工作人员为作出决定打开了此申请

## form

form-not-an-object = 答案必须是一个 JSON 对象，为每个字段给出对应的值。
form-unknown-field = “{ $field }”不是本表单中的字段。
form-required = { $field }：此项为必填项。
form-expected-text = { $field }：请填写文字。
form-line-breaks = { $field }：请填写一行文字，不要包含换行符或控制字符。
form-control-characters = { $field }：文字中含有控制字符，请删除。
form-too-short = { $field }：请至少填写 { $min } 个字符（当前 { $length } 个）。
form-too-long = { $field }：最多填写 { $max } 个字符（当前 { $length } 个）。
form-pattern-mismatch = { $field }：格式应为{ $format }。
form-expected-number = { $field }：请填写数字，单位为{ $unit }。
form-expected-whole-number = { $field }：请填写整数。
form-out-of-range = { $field }：数值应在 { $min } 至 { $max } { $unit }之间。
form-expected-date = { $field }：请按 YYYY-MM-DD 格式填写日期，例如 2026-05-04。
form-no-such-date = { $field }：日历上没有 { $value } 这一天。
form-date-too-early = { $field }：日期不能早于 { $min }。
form-date-too-late = { $field }：日期不能晚于 { $max }。
form-expected-choice = { $field }：请从以下选项中选择一项：{ $options }。
form-expected-yes-no = { $field }：请回答“是”或“否”。
form-must-be-yes = { $field }：须选择“是”才能提交本申请。
form-expected-location = { $field }：请提供位置，包括以度为单位的纬度（lat）和经度（lon）。
form-bad-latitude = { $field }：纬度必须在 -90 至 90 度之间。
form-bad-longitude = { $field }：经度必须在 -180 至 180 度之间。
form-outside-area = { $field }：该位置不在{ $area }范围内。

## review

review-invalid-answers = 填写内容不符合该服务表单的要求，请修改所列字段。
review-policy-failed = 自动审核未能完成（规则“{ $rule }”），申请将由工作人员人工审核。
review-closed = 该服务目前暂停受理申请。
review-wrong-service = 本申请属于服务“{ $found }”，而不是“{ $expected }”。
review-wrong-applicant = 申请中的申请人与提交人不一致。

## outcome

outcome-approve = 通过
outcome-reject = 不予通过
outcome-refer = 转人工审核
outcome-likely-approve = 本申请预计将获通过。
outcome-likely-reject = 本申请预计不会获得通过。
outcome-likely-refer = 本申请预计将转交工作人员人工审核。

## status

status-draft = 草稿
status-signed = 已签名
status-queued = 排队待发送
status-anchored = 已记入账本
status-decided-approve = 已决定：通过
status-decided-reject = 已决定：不予通过
status-decided-refer = 已转人工审核
status-failed = 失败

## review

review-officer = 工作人员意见：{ $reason }
review-other-catalog = 部门无法用其服务目录读取此申请（{ $problem }），将由工作人员审核决定。
review-unreadable = 部门无法读取此申请（{ $problem }），因此已拒绝。请通过 Agora 重新提交。
