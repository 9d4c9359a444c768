# The client's own words, in Simplified Chinese: panels, kiosk, headset, dashboards, command line.
# Both languages have the same messages with the same variables (the tests check it).

## The service windows' panels. What a service says comes from its catalog; these are the
## words around it.

panel-apply-tab = 申请
panel-mine-tab = 我的申请
panel-required = 必填
panel-optional = 选填
panel-yes = 是
panel-no = 否
panel-latitude = 纬度
panel-longitude = 经度
panel-date-hint = 年-月-日，如 2026-05-04
panel-how-decided = 审批规则
panel-fill-in-to-see = 填写表单后，这里会显示按已公布的审批规则最可能的结果。
panel-to-review = 核对我的申请  →
panel-fix-marked = 部分内容需要修改：请查看标红的栏目。
panel-review-title = 核对您的申请
panel-review-intro = 以下就是您将签名并提交的全部内容。签名之前不会发送任何信息。
panel-not-answered = （未填写）
panel-signed-as = 签名身份
panel-new-identity-signer = 您将在下一步创建的新身份
panel-policy = 审批依据的已公布规则
panel-change-answers = ←  修改内容
panel-continue-to-sign = 签名并提交  →
panel-sign-title = 使用您的身份签名
panel-enter-pin = 请输入 PIN 码，用您的密钥为本申请签名。
panel-pin = PIN 码
panel-pin-again = 再次输入 PIN 码
panel-first-time = 本设备还没有身份。请设置一个 PIN 码：它保护您的密钥，密钥只保存在本设备上，用于为您的申请签名。
panel-pin-rules = 至少 6 个字符。连续输错 5 次，密钥将暂时锁定。
panel-pins-differ = 两次输入的 PIN 码不一致。
panel-pin-too-short = PIN 码至少需要 6 个字符。
panel-sign-and-submit = 签名并提交
panel-create-and-sign = 创建身份、签名并提交
panel-back = ←  返回
panel-working-identity = 正在创建您的身份…
panel-working-sign = 正在签名并保存您的申请…
panel-opening = 正在打开您的档案…
panel-sent-title = 您的申请
panel-queued-words = 已安全保存在本设备上，正在发送到账本。您可以离开，发送会继续进行。
panel-anchored-words = 已记录在账本上，正在等待部门的决定…
panel-failed-words = 账本拒绝了这份申请。
panel-save-receipt = 将回执保存为文件
panel-saved-to = 回执已保存到
panel-verify-hint = 任何人都可以离线核验：agora verify
panel-demo-decision = 演示：由演示部门决定，其密钥是公开的。这不是真正的决定。
panel-decided-by-officer = 由以下部门的工作人员决定：
panel-new-application = 开始新的申请
panel-nothing-yet = 您还没有提交过任何申请。
panel-try-again = 重试
panel-problem = 出现问题
panel-last-attempt = 最近一次发送
panel-identity = 您的身份
panel-no-identity = 尚未创建：首次签名时创建
panel-closed = 该服务目前暂停受理申请。
panel-comfort-tab = 舒适设置
panel-settings-tab = 设置
panel-settings-intro = Agora 的语言和显示方式。更改立即生效，不会丢失您已填写的内容，并保存到下次使用。
panel-settings-intro-visit = Agora 的语言和显示方式。更改立即生效，不会丢失您已填写的内容，办理结束时恢复。
panel-language = 语言
panel-contrast = 对比度
panel-contrast-standard = 标准
panel-contrast-high = 高对比度
panel-text-size = 文字大小
panel-motion = 动画效果
panel-motion-full = 流畅
panel-motion-reduced = 减少动态
panel-sound-title = 声音与字幕
panel-sound = 声音
panel-sound-on = 开
panel-sound-off = 关
panel-volume = 音量
panel-ambience-volume = 环境声
panel-cue-volume = 提示音
panel-captions = 字幕
panel-captions-on = 显示
panel-captions-off = 隐藏
panel-caption-size = 字幕大小
panel-caption-size-text = 同文字
panel-comfort-intro = 在头显中移动和站立的方式。更改立即生效，并保存到下次使用。
panel-snap-turn = 快速转向
panel-moving = 移动方式
panel-teleport = 瞬移（瞄准弧线）
panel-glide = 平滑移动
panel-vignette = 移动时遮暗视野边缘
panel-posture = 姿势
panel-standing = 站姿
panel-seated = 坐姿
panel-seated-raise = 视角抬高
panel-leading-hand = 主手（移动；另一只手转向）
panel-left-hand = 左手
panel-right-hand = 右手
panel-comfort-saved = 已保存到
panel-key-space = 空格
panel-key-done = 完成
panel-key-delete = 删除
panel-visit-sign = 本自助终端只为您这次办理生成了一个密钥。它现在为您的申请签名，您结束办理时即被清除；无需 PIN 码。
panel-visit-signer = 仅用于本次办理的密钥
panel-receipt-qr = 您的回执
panel-receipt-qr-hint = 请用手机扫描保存。它证明您的申请已被记录（以及审批结果），但不含您填写的内容；回家后可用 `agora verify` 核验。
panel-receipt-code = 查询编号

## The dashboards' painted words

dashboard-waiting = 正在等待数据…
dashboard-unavailable = 暂无数据：无法连接数据源
dashboard-no-charts = 尚未配置图表
dashboard-hint = 按 T 键或点击屏幕，以表格查看这些数字
dashboard-table-hint = 按 T 键或点击屏幕，返回图表
dashboard-updated = 更新于 { $time }
dashboard-stale-since = 数据停更于 { $time }
dashboard-table-time = 时间
dashboard-table-value = 数值
dashboard-booth-empty = 城市实时数据将在此显示

## Units a feed may give, as this language writes them.

unit-veh-per-h = 辆/小时
unit-vehicles-per-h = 辆/小时
unit-per-h = 起/小时
unit-incidents = 起
unit-min = 分钟
unit-minutes = 分钟
unit-permits = 件

## The plaza

plaza-city-hall = 市政厅
controls-hint = 点击画面以环顾四周  ·  W A S D 或方向键行走  ·  Q / E 转身
controls-hint-captured = 移动鼠标环顾  ·  W A S D 行走，按住 Shift 快走  ·  Esc 释放鼠标

## Why the plaza is on the desktop and not in a headset

xr-no-software = 这台电脑没有安装头显软件（OpenXR），广场在桌面上打开。
xr-no-runtime = 头显运行时（如 SteamVR 或 Monado）没有运行，广场在桌面上打开。
xr-not-connected = 没有连接头显，或头显处于休眠，广场在桌面上打开。
xr-could-not-start = 头显无法启动，广场在桌面上打开。
xr-session-ended = 头显会话已结束，广场在桌面上继续。

## The kiosk

kiosk-touch-to-start = 触摸开始
kiosk-welcome = 在这里办理市政服务：填写、签名，并用二维码把回执带回家。
kiosk-choose-language = 请选择语言
kiosk-services = 服务
kiosk-my-receipt = 我的回执（二维码）
kiosk-finish = 结束
kiosk-finish-wipes = 点击“结束”将清除您在此输入的一切。
kiosk-still-there = 您还在吗？
kiosk-visit-ends = 本次办理将在 { $seconds } 秒后结束，您输入的一切都会被清除。
kiosk-touch-to-continue = 触摸继续
kiosk-operator-pin = 管理员 PIN
kiosk-wrong-pin = PIN 错误
kiosk-pin-locked = 错误次数过多，请等待 { $seconds } 秒
kiosk-cancel = 取消
kiosk-receipt-waiting = 正在等待部门审批。您可以在此等候审批后的回执，也可以现在保存此回执：它证明您的申请已被记录。
kiosk-back-to-application = 返回我的申请

kiosk-my-receipt-short = 我的回执
kiosk-example-hall = 市民中心服务大厅
kiosk-ok = 确定

## Moments, in the city's time zone (the variables as in the English file)

time-month = { $month }月
time-clock = { $hour }:{ $minute }
time-day = { $month-name }{ $day }日
time-day-clock = { $month-name }{ $day }日 { $hour }:{ $minute }
time-full = { $year }年{ $month-name }{ $day }日 { $hour }:{ $minute }

## Languages

language-name = 中文
language-short = 中文

## `agora status`

status-decided-by-officer = 由{ $department }的工作人员决定
status-demo-decision = 演示：由演示部门决定，其密钥是公开的，这不是真正的决定
status-last-attempt = 最近一次发送：{ $error }

## `agora verify`

verify-document-valid = 有效：{ $file } 由 { $signer } 签名（eddsa-jcs-2022，assertionMethod）
verify-document-valid-created = 有效：{ $file } 由 { $signer } 于 { $created } 签名（eddsa-jcs-2022，assertionMethod）
verify-issuer-not-did-key = 其签发者 { $issuer } 不是 did:key，因此无法将其与签名的密钥对应
verify-document-invalid = { $file } 无效：{ $error }
verify-document-wrong-issuer = { $file } 无效：文件写明签发者为 { $issuer }，但签名者是 { $signer }
verify-no-code-in-picture = { $file }：图片中没有找到 Agora 回执的二维码（另有 { $others } 个其他二维码）
verify-code-given = 所给的回执码
verify-code-in-picture = { $file } 中的二维码
verify-code-invalid = { $source } 不是有效的回执码：{ $error }
verify-code-valid = 有效的回执码：{ $source }
verify-code-application = 申请 { $id }（编号 { $reference }），办理事项 `{ $service }`，申请人 { $applicant }
verify-code-no-answers = 申请的 SHA-256 为 { $sha256 }；回执码不含任何填写内容（内容由部门保管，并以其密钥加密）
verify-code-not-on-chain = --chain 用于核验完整回执（JSON）；回执码只能离线核验
verify-receipt-invalid = { $file } 不是有效的回执：{ $error }
verify-receipt-valid = 有效的回执：{ $file }
verify-receipt-application = 申请 { $id }，办理事项 `{ $service }`，由 { $applicant } 签名
verify-receipt-first-version = 第 1 版回执：其决定未写明申请登记的位置，因此登记时间仅以账本密钥为凭
verify-anchored-leaf = 于 { $time } 登记在第 { $index } 号叶节点，所在的树共 { $size } 条记录，由账本密钥签名
verify-trust-own = 本设备自己的内置账本
verify-trust-pinned = 由 --trust-ledger 指定
verify-trust-listed = 列于 { $file }
verify-ledger-trusted = 受信任
verify-anchored-position = 于 { $time } 登记在登记合约的第 { $index } 号位置，区块 { $block }（{ $hash }）
verify-registry-trusted = { $registry }（受信任）
verify-chain-not-checked = 未核验该批次与决定是否在链上的最终区块中：请加上 --chain URL
verify-decided-by-officer = { $department }的一名工作人员（{ $officer }，由部门密钥 { $key } 授权至 { $until }）
verify-decided-by-department = { $department }（{ $key }）
verify-decided = 决定：{ $outcome ->
    [approve] 批准
    [reject] 驳回
   *[refer] 转人工审核
  }，决定者 { $by }，政策 { $policy } 第 { $version } 版
verify-demo-decision = 演示：此决定由演示部门的密钥签名，其私钥随 Agora 一同公开：任何人都可以签出这样的决定，因此它在现实中不具任何效力
verify-not-decided = 尚未决定

## 字幕：每个声音都有一条，放在方括号里；有方位的声音说明它从哪里来。
caption-line = [{ $sound }]
caption-line-from = [{ $sound }，{ $side }]
caption-line-fading = [{ $sound }渐远，{ $side }]
caption-fountain = 水池喷泉声
caption-traffic = 大街上的车流声
caption-birds = 树上的鸟鸣
caption-murmur = 人们的交谈声
caption-steps = 你的脚步声
caption-hover = 轻微提示音
caption-press = 点击声
caption-key = 按键声
caption-error = 低沉的两声提示：有内容需要更正
caption-queued = 提示音：申请已发送
caption-recorded = 上扬提示音：已记录到账本
caption-approved = 明亮上扬的钟声：申请已批准
caption-rejected = 低沉下行的音调：申请被驳回
caption-referred = 两声平稳的音调：已转交审核员
caption-countdown = 滴答声：你的访问即将结束
caption-side-ahead = 前方
caption-side-ahead-right = 右前方
caption-side-right = 右侧
caption-side-behind-right = 右后方
caption-side-behind = 后方
caption-side-behind-left = 左后方
caption-side-left = 左侧
caption-side-ahead-left = 左前方
caption-side-around = 四周
