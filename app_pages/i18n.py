"""The app's words in 简体中文 (default) and English. Pages call ``t("key")``; the sidebar's language switch sets
``st.session_state["lang"]``. A key missing in English falls back to Chinese, a key missing altogether shows itself
(so a typo is visible on the page, not an exception)."""

from __future__ import annotations

import streamlit as st

LANGUAGES = {"zh": "简体中文", "en": "English"}

STRINGS: dict[str, tuple[str, str]] = {
    # app shell
    "app.title": ("催收质检", "Collection-call auditor"),
    "app.language": ("语言 / Language", "语言 / Language"),
    "app.reviewer": ("复核人", "Reviewer"),
    "app.database": ("数据库", "Database"),
    "nav.overview": ("总览", "Overview"),
    "nav.queue": ("复核队列", "Review queue"),
    "nav.call": ("通话详情", "Call detail"),
    "nav.agents": ("坐席", "Agents"),
    "nav.batch": ("批量质检", "Batch audit"),
    "nav.rules": ("规则库", "Rule pack"),
    "nav.export": ("导出", "Export"),
    "nav.users": ("用户", "Users"),
    "nav.sign_in": ("登录", "Sign in"),
    # accounts and sign-in
    "auth.title": ("登录", "Sign in"),
    "auth.username": ("用户名", "User name"),
    "auth.password": ("密码", "Password"),
    "auth.sign_in": ("登录", "Sign in"),
    "auth.sign_out": ("退出登录", "Sign out"),
    "auth.signed_in_as": ("登录账号：{username}", "Signed in as {username}"),
    "auth.failed": ("登录失败：用户名或密码不正确", "Sign-in failed: wrong user name or password"),
    "auth.sso": ("使用单点登录", "Sign in with single sign-on"),
    "auth.or_password": ("或使用用户名和密码登录：", "Or sign in with a user name and password:"),
    "auth.sso_refused": ("单点登录身份 {email} 没有可用的账号，请联系管理员开通（用户名为该邮箱）。",
                         "The single sign-on identity {email} has no enabled account here; ask an admin to create "
                         "one (with that e-mail address as the user name)."),
    "auth.no_accounts_title": ("还没有任何账号", "There are no accounts yet"),
    "auth.no_accounts_body": (
        "请在服务器上创建第一个管理员账号（会提示输入密码，至少 8 个字符），然后在此登录：\n\n"
        "   `.venv/bin/audit users add admin --role admin{db}`\n\n"
        "管理员登录后可在「用户」页添加质检员（reviewer）和组长（team_lead）。",
        "Create the first admin account on the server (it asks for a password of at least 8 characters), then sign "
        "in here:\n\n   `.venv/bin/audit users add admin --role admin{db}`\n\n"
        "Once signed in, an admin adds reviewers and team leads on the Users page."),
    "auth.required": ("请先登录", "Sign in first"),
    "auth.forbidden": ("你的账号角色无权进行此操作", "Your account's role may not do this"),
    "auth.call_refused": ("无权查看通话 {call_id}：它不属于你的团队", "You may not open call {call_id}: it is not your "
                                                                 "team's"),
    "auth.team_fixed": ("组长只能查看本组", "A team lead sees their own team only"),
    "auth.wait": ("。失败次数过多，请 {minutes} 分钟后再试", ". Too many failures: try again in {minutes} min"),
    "users.failures": ("登录失败记录（最新在前）", "Failed sign-ins (newest first)"),
    "users.no_failures": ("没有登录失败记录", "No failed sign-ins"),
    "users.failure_at": ("时间", "When"),
    # users (admin)
    "users.title": ("用户", "Users"),
    "users.username": ("用户名", "User name"),
    "users.username_help": ("登录名，不含空格；单点登录用户填邮箱", "Login name, no spaces; the e-mail address for "
                                                                 "single sign-on users"),
    "users.display_name": ("显示名称（记入复核记录）", "Display name (shown in the trail)"),
    "users.role": ("角色", "Role"),
    "users.team": ("所带团队（组长必填）", "Team led (team leads only)"),
    "users.team_help": ("现有团队：{teams}", "Teams in the database: {teams}"),
    "users.enabled": ("启用", "Enabled"),
    "users.created": ("创建日期", "Created"),
    "users.add": ("添加用户", "Add a user"),
    "users.password_again": ("再次输入密码", "Password again"),
    "users.add_button": ("添加", "Add"),
    "users.password_mismatch": ("两次输入的密码不一致", "The two passwords differ"),
    "users.added": ("已添加用户 {username}（{role}）", "Added {username} ({role})"),
    "users.disable": ("停用 / 启用账号", "Disable / enable an account"),
    "users.pick": ("账号", "Account"),
    "users.on": ("启用中", "enabled"),
    "users.off": ("已停用", "disabled"),
    "users.disable_button": ("停用", "Disable"),
    "users.enable_button": ("重新启用", "Enable"),
    "users.disabled": ("已停用 {username}：其会话立即失效，复核记录保留", "{username} disabled: their sessions end now; "
                                                                     "their reviews stay in the trail"),
    "users.enabled_again": ("已重新启用 {username}", "{username} enabled again"),
    "users.no_others": ("没有其他账号", "No other accounts"),
    # shared
    "filter.dates": ("通话日期", "Call dates"),
    "filter.any": ("不限（可多选）", "Any (choose one or more)"),
    "filter.team": ("团队", "Team"),
    "filter.agent": ("坐席", "Agent"),
    "filter.category": ("违规类别", "Category"),
    "filter.severity": ("严重程度", "Severity"),
    "filter.verdict": ("结论", "Verdict"),
    "filter.review_status": ("复核状态", "Review status"),
    "empty.title": ("数据库里还没有质检结果", "The database holds no audited calls yet"),
    "empty.body": (
        "开始方法：\n\n1. 在服务器上运行主任务，对示例录音质检并写入数据库：\n\n"
        "   `.venv/bin/audit run samples --out results`\n\n"
        "2. 或在「批量质检」页上传录音（可附 metadata.csv）。",
        "To get started:\n\n1. Run the main job on the server; it audits the sample recordings into the database:"
        "\n\n"
        "   `.venv/bin/audit run samples --out results`\n\n"
        "2. Or upload recordings (with an optional metadata.csv) on the Batch audit page."),
    "empty.db": ("本应用读取 `{db}`（可用环境变量 `AUDIT_DB` 或 `AUDIT_DB_URL` 指定）。",
                 "This app reads `{db}` (set `AUDIT_DB` or `AUDIT_DB_URL` to use another)."),
    "go.batch": ("去批量质检", "Go to batch audit"),
    "go.queue": ("去复核队列", "Go to the review queue"),
    "none": ("无", "none"),
    # Streamlit's own words, put in the reader's language by app_pages.common.streamlit_words
    "upload.drop": ("将文件拖放到此处", "Drag and drop files here"),
    "upload.browse": ("选择文件", "Browse files"),
    "upload.limit": ("单个文件不超过 {mb} MB", "At most {mb} MB per file"),
    # the player
    "player.marks": ("标记", "Marks"),
    "player.legend": ("点击色带或标记即从该处播放（圆点：违规，红/橙/灰 = 严重/较重/轻微，浅灰 = 已驳回；菱形：客户信号）",
                      "Click a turn or a mark to play from there (dots: findings, red/orange/grey = critical/major/"
                      "minor, pale grey = dismissed; diamonds: customer signals)"),
    # overview
    "overview.title": ("总览", "Overview"),
    "overview.calls": ("已质检通话", "Calls audited"),
    "overview.fail_rate": ("不通过率", "Fail rate"),
    "overview.critical": ("严重违规条数", "Critical findings"),
    "overview.critical_calls": ("含严重违规的通话数", "Calls with a critical finding"),
    "chart.empty": ("所选范围内没有可画的数据", "Nothing to chart in this selection"),
    "overview.unreviewed": ("待复核通话", "Unreviewed in queue"),
    "overview.by_category": ("按违规类别", "Findings by category"),
    "overview.by_week": ("按周趋势", "Findings by week"),
    "overview.worst_agents": ("本期需关注的坐席", "Agents to watch this period"),
    "overview.worst_note": ("按严重违规通话占比、平均分排序（机器结果，复核后的数字见「坐席」页）",
                            "By share of critical calls, then mean score (machine figures; the Agents page applies "
                            "reviews)"),
    "overview.no_findings": ("所选范围内没有违规", "No findings in this selection"),
    "overview.week": ("周（周一）", "Week (Monday)"),
    "overview.findings": ("条数", "Findings"),
    # queue
    "queue.title": ("复核队列", "Review queue"),
    "queue.count": ("共 {total} 通符合条件；第 {page}/{pages} 页，显示第 {first}–{last} 通",
                    "{total} calls match; page {page} of {pages}, showing {first}–{last}"),
    "queue.none": ("没有符合条件的通话", "No calls match these filters"),
    "queue.page": ("页码", "Page"),
    "queue.page_size": ("每页", "Per page"),
    "queue.open_pick": ("打开通话", "Open a call"),
    "queue.open": ("打开", "Open"),
    "queue.sampled_only": ("仅抽检通话", "Sampled (抽检) calls only"),
    "queue.filters": ("筛选条件", "Filters"),
    "queue.filters_set": ("筛选条件（已设 {n} 项）", "Filters ({n} set)"),
    "queue.sampled_mark": ("抽检", "抽检 sample"),
    "col.sampled": ("抽检", "Sampled"),
    "status.unreviewed": ("未复核", "Unreviewed"),
    "status.reviewed": ("已复核", "Reviewed"),
    "status.nothing_to_review": ("无违规条目（告知/信号）", "No findings (disclosures / signals)"),
    "status.all": ("全部", "All"),
    "col.call_id": ("通话编号", "Call"),
    "col.open": ("详情", "Detail"),
    "col.started_at": ("通话时间", "Started"),
    "col.agent": ("坐席", "Agent"),
    "col.team": ("团队", "Team"),
    "col.worst": ("最高严重度", "Worst"),
    "col.score": ("得分", "Score"),
    "col.verdict": ("结论", "Verdict"),
    "col.categories": ("违规类别", "Categories"),
    "col.reviewed": ("已复核", "Reviewed"),
    "col.duration": ("时长(秒)", "Duration (s)"),
    # call detail
    "call.title": ("通话详情", "Call detail"),
    "call.pick": ("通话编号", "Call id"),
    "call.choose": ("请从复核队列打开一通电话，或在上方输入通话编号。", "Open a call from the review queue, or type its id above."),
    "call.not_found": ("找不到通话 {call_id}", "No call {call_id}"),
    "call.audio_missing": ("录音文件不在此服务器上：{path}", "The recording is not on this server: {path}"),
    "call.transcript": ("对话", "Transcript"),
    "call.no_transcript": ("此通话没有存转写（来自外部 ASR 的 JSONL）", "No transcript stored for this call "
                                                                     "(audited from another ASR's JSONL)"),
    "call.findings": ("违规条目", "Findings"),
    "call.no_findings_here": ("此通话没有违规条目", "This call has no findings"),
    "call.play": ("播放", "Play"),
    "call.play_from": ("从此处播放", "Play from here"),
    "call.rule": ("规则", "Rule"),
    "call.basis": ("法律依据", "Legal basis"),
    "call.why": ("说明", "Explanation"),
    "call.at": ("位置", "At"),
    "call.turn": ("第 {turn} 句", "turn {turn}"),
    "call.via_homophone": ("经同音字识别（语音识别可能有误）", "read through a homophone (possible ASR error)"),
    "call.needs_review": ("需人工确认", "needs a human decision"),
    "call.review_verdict": ("复核结论", "Verdict"),
    "call.new_severity": ("新严重程度（调整严重度时）", "New severity (when changing it)"),
    "call.note": ("备注", "Note"),
    "call.save": ("保存", "Save"),
    "call.saved": ("已保存：{verdict}（{reviewer}）", "Saved: {verdict} ({reviewer})"),
    "call.last_review": ("最新复核：{verdict} · {reviewer} · {when}", "Latest review: {verdict} · {reviewer} · {when}"),
    "call.not_reviewed": ("尚未复核", "Not reviewed yet"),
    "call.disclosures": ("告知项", "Disclosures"),
    "call.quality": ("通话质量", "Call quality"),
    "call.signals": ("客户信号", "Customer signals"),
    "call.score": ("评分明细", "Score breakdown"),
    "call.trail": ("复核记录", "Review trail"),
    "call.no_signals": ("没有客户信号", "No customer signals"),
    "call.no_deductions": ("没有扣分", "No deductions"),
    "call.no_trail": ("此通话还没有复核记录", "No reviews of this call yet"),
    "call.no_quality": ("没有通话质量数据（转写无时间信息）", "No call-quality measures (no timing)"),
    "call.call_time": ("通话时间违规（夜间催收）", "Call in the quiet hours"),
    "call.older_audits": ("此通话共有 {n} 次质检，显示最新一次", "{n} audits of this call; the latest is shown"),
    "call.review_reasons": ("需复核原因", "Why it needs review"),
    # after review (audit.review_policy)
    "call.machine_result": ("机器结论：{verdict} {score}", "Machine: {verdict} {score}"),
    "call.open_items": ("待处理条目 {n} 项；全部复核后此通话离开未复核队列", "{n} items open; the call leaves the "
                                                                   "unreviewed queue once every item is judged"),
    "call.closed": ("已全部复核", "Every item judged"),
    "call.items": ("通话层面条目", "Call-level items"),
    "call.choose_verdict": ("请选择复核结论", "Choose a verdict"),
    "call.undated": ("无通话时间（未提供元数据）：按质检时间 {when} 归档", "No start time given (no metadata): filed "
                                                                "under when it was audited, {when}"),
    "call.dismissed_note": ("已驳回：不扣分、不计入结论", "Dismissed: no deduction, does not count"),
    "queue.batch": ("只显示批次 {batch} 的 {n} 通电话", "Only the {n} calls of batch {batch}"),
    "queue.all_calls": ("显示全部通话", "Show every call"),
    "call.summary_none": ("未发现违规", "Nothing found"),
    "call.time_of_day": ("通话时间（{zone}）：{local}", "Call time ({zone}): {local}"),
    "call.time_unknown": ("通话时间未知", "Call time unknown"),
    "call.versions": ("质检版本：规则包 {profile}@{pack} · 评分模板 {card}@{card_version} · 语音模型 {model}",
                      "Audited with rule pack {profile}@{pack} · scorecard {card}@{card_version} · speech model "
                      "{model}"),
    "call.measure": ("指标", "Measure"),
    "call.value": ("数值", "Value"),
    "call.limit": ("合格范围", "Limits"),
    "call.in_limits": ("是否合格", "Within limits"),
    "call.not_measured": ("无法测量", "not measured"),
    "call.no_limit": ("不考核", "not scored"),
    "call.item": ("扣分项", "Item"),
    "call.points": ("扣分", "Points"),
    "call.details": ("详情", "Details"),
    "call.time": ("时间", "Time"),
    "call.hash": ("校验值 (sha256)", "Hash (sha256)"),
    "call.deduct_call_time": ("夜间催收", "Call in the quiet hours"),
    "call.deduct_disclosure": ("缺少告知：{name}", "Missing disclosure: {name}"),
    "call.unknown_speaker_note": ("说话人未识别，请核对", "speaker not identified: check who said it"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # agents
    "agents.title": ("坐席", "Agents"),
    "agents.table": ("坐席计分卡（已计入复核结论）", "Agent scorecards (after reviews)"),
    "agents.raw": ("并列显示机器原始数字", "Show machine figures beside"),
    "agents.pick": ("查看坐席", "Agent"),
    "agents.trend": ("得分趋势（按周）", "Score trend (weekly)"),
    "agents.categories": ("违规类别分布", "Findings by category"),
    "agents.disclosures": ("告知项合规率", "Disclosure compliance"),
    "agents.coaching": ("辅导材料：坐席原话", "Coaching sheet: the agent's own words"),
    "agents.download": ("下载辅导材料 (CSV)", "Download coaching sheet (CSV)"),
    "agents.no_coaching": ("没有计入的违规，无需辅导", "No counted findings: nothing to coach"),
    "agents.rate": ("合规率", "Compliance"),
    "agents.quote": ("原话", "Words"),
    # batch
    "batch.title": ("批量质检", "Batch audit"),
    "batch.upload": ("上传录音", "Upload recordings"),
    "batch.folder": ("服务器文件夹", "Server folder"),
    "batch.files": ("录音文件（{types}，单个不超过 {mb} MB）", "Recordings ({types}, at most {mb} MB each)"),
    "batch.metadata": ("metadata.csv（可选）", "metadata.csv (optional)"),
    "batch.run_upload": ("上传并质检", "Upload and audit"),
    "batch.pick_folder": ("选择文件夹", "Folder"),
    "batch.folder_path": ("或输入路径", "Or type a path"),
    "batch.roots": ("可用的文件夹：{roots}（环境变量 AUDIT_BATCH_ROOTS 可增加）",
                    "Allowed folders: {roots} (AUDIT_BATCH_ROOTS adds more)"),
    "batch.run_folder": ("质检此文件夹", "Audit this folder"),
    "batch.no_folders": ("允许的目录下没有含录音的文件夹", "No folder with recordings under the allowed roots"),
    "batch.no_files": ("请先选择录音文件", "Choose recordings first"),
    "batch.refused": ("已拒收：{problem}", "Refused: {problem}"),
    "batch.stored": ("已保存 {n} 个文件到 {folder}", "Stored {n} file(s) in {folder}"),
    "batch.stored_user": ("已保存 {n} 个文件", "Stored {n} file(s)"),
    "batch.roots_user": ("可选的文件夹：数据目录及管理员允许的目录", "Folders: the data directory and those an admin "
                                                               "allowed"),
    "batch.progress": ("{done}/{total} 通 · {call}", "{done}/{total} calls · {call}"),
    "batch.loading": ("正在加载语音模型和规则…", "Loading the speech model and rules…"),
    "batch.done": ("完成：{ok} 通成功，{failed} 通失败", "Done: {ok} calls audited, {failed} failed"),
    "batch.problem": ("提示：{problem}", "Note: {problem}"),
    "batch.no_audio": ("没有找到录音文件", "No recordings found"),
    "batch.outcome_ok": ("成功", "ok"),
    "batch.outcome_resumed": ("已存在，跳过", "already audited, skipped"),
    "batch.error": ("错误", "Error"),
    # rules
    "rules.title": ("规则库", "Rule pack"),
    "rules.version": ("规则包 {profile} · 版本 {version} · {rules} 条违规规则", "Profile {profile} · version {version} · "
                                                                       "{rules} conduct rules"),
    "rules.reader": ("学习模型 {version}：与规则并行阅读每句坐席话术，仅由模型发现的条目需人工确认",
                     "Learned reader {version}: reads every agent sentence beside the rules; what only it finds "
                     "needs a person to confirm"),
    "rules.categories": ("违规类别", "Categories"),
    "rules.rules": ("规则", "Rules"),
    "rules.disclosures": ("必要告知项", "Disclosures"),
    "rules.signals": ("客户信号", "Signals"),
    "rules.try": ("试一句话", "Try a sentence"),
    "rules.try_text": ("输入一句话", "A sentence"),
    "rules.try_speaker": ("说话人", "Speaker"),
    "rules.try_placeholder": ("例如：你再不还钱，我们就上门找你家人", "e.g. 你再不还钱，我们就上门找你家人"),
    "rules.nothing": ("没有规则命中", "No rule fires"),
    "rules.reading": ("按同音字读作：{reading}", "Read through homophones as: {reading}"),
    "rules.matched": ("命中内容", "Matched"),
    "rules.kind": ("匹配方式", "Match kind"),
    "rules.filter_category": ("只看此类别", "Category"),
    # export
    "export.title": ("导出", "Export"),
    "export.intro": ("监管报送包：通话、违规条目（原话与音频时间）、告知项、复核记录、坐席汇总，Excel 与 CSV，"
                     "manifest.json（规则包、评分模板、模型与代码版本，每个文件与录音的 sha256），以及规则包本身。",
                     "The regulator's package: calls, findings (quotes, audio times), disclosures, reviews, agents, "
                     "as Excel and CSV, manifest.json (rule pack, scorecard, model and code versions, the sha256 of "
                     "every file and recording), and the rule pack itself."),
    "export.mask": ("遮蔽手机号、身份证号、银行卡号", "Mask phone, ID-card and bank-card numbers"),
    "export.unmasked_warning": ("未遮蔽的导出会记录在 manifest 和导出日志中", "An unmasked export is recorded as such in the "
                                                                        "manifest and the exports log"),
    "export.build": ("生成导出包", "Build the package"),
    "export.download": ("下载 {name}", "Download {name}"),
    "export.summary": ("{calls} 通通话，{findings} 条违规条目；已存于 {folder}", "{calls} calls, {findings} findings; "
                                                                     "kept in {folder}"),
    "export.by": ("导出人（记入导出日志）：{who}", "Exported by (recorded in the exports log): {who}"),
    # the QA loop: 抽检 and accuracy
    "nav.accuracy": ("规则准确率", "Rule accuracy"),
    "qa.title": ("规则准确率", "Rule accuracy"),
    "qa.intro": ("精确率来自复核结论（确认 / 调整严重度 = 正确，驳回 = 误报），召回率由抽检的整通结论估计；区间为 "
                 "Wilson 95% 置信区间。低于阈值的规则只列出供关注，不会被自动停用。",
                 "Precision comes from reviewers' verdicts (upheld / severity changed = right, dismissed = false "
                 "alarm); recall is estimated from the whole-call verdicts of 抽检 calls; intervals are Wilson 95%. "
                 "Rules under the threshold are listed for attention, never switched off."),
    "qa.judged_findings": ("已复核条目", "Judged findings"),
    "qa.judged_samples": ("已复核抽检通话", "Judged 抽检 calls"),
    "qa.unflagged": ("未标记通话", "Unflagged calls"),
    "qa.threshold": ("精确率阈值", "Precision threshold"),
    "qa.rules": ("规则精确率", "Precision per rule"),
    "qa.reader": ("学习模型精确率（按类别）", "Learned reader's precision, per category"),
    "qa.recall": ("召回率估计（按类别，来自抽检）", "Recall estimate per category (from 抽检)"),
    "qa.below": ("低于阈值 {threshold}，需关注（未停用）", "Under {threshold}, for attention (not switched off)"),
    "qa.none_below": ("没有低于阈值的规则", "No rule is under the threshold"),
    "qa.no_verdicts": ("所选期间还没有复核结论", "No verdicts in this period yet"),
    "qa.set_threshold": ("保存阈值", "Save the threshold"),
    "qa.threshold_saved": ("阈值已保存：{value}", "Threshold saved: {value}"),
    "qa.threshold_by": ("由 {who} 于 {at} 设定", "Set by {who} at {at}"),
    "qa.plan": ("抽检计划", "Sampling plan (抽检)"),
    "qa.schedule": ("{title}（版本 {version}）：每周{weekday} {at} 抽取上一自然周；每位坐席每周合格通话抽 {rate}，至少 "
                    "{min_calls} 通；新坐席前 {weeks} 周全部抽检；复核后致命率上升的坐席抽 {boost}。",
                    "{title} (version {version}): every {weekday} at {at} the previous ISO week is drawn; per agent "
                    "and week {rate} of passed calls, at least {min_calls}; all calls of new agents' first {weeks} "
                    "weeks; {boost} for agents whose critical rate after review rose."),
    "qa.due": ("应抽取期间 {since} 至 {until}：{state}；下次定时抽样 {next}",
               "Period due {since} to {until}: {state}; next scheduled draw {next}"),
    "qa.drawn": ("已抽取（第 {draw} 次抽样）", "drawn (draw {draw})"),
    "qa.not_drawn": ("尚未抽取", "not drawn yet"),
    "qa.draw_now": ("立即抽取该期间", "Draw that period now"),
    "qa.draw_done": ("第 {draw} 次抽样：{calls} 通", "Draw {draw}: {calls} calls"),
    "qa.draws": ("最近的抽样", "Recent draws"),
    "qa.sampled": ("**抽检通话**（第 {draw} 次抽样，原因：{reason}）：请对整通通话给出结论。",
                   "**抽检 call** (draw {draw}, {reason}): give a verdict on the whole call."),
    "qa.sample_verdict_given": ("已有结论：{verdict}（{reviewer}），漏检：{missed}",
                                "Verdict given: {verdict} ({reviewer}); missed: {missed}"),
    "qa.whole_call": ("整通结论", "Whole call"),
    "qa.missed": ("机器漏检的违规类别", "Categories the machine missed"),
    "qa.save_verdict": ("保存整通结论", "Save the verdict"),
    "qa.verdict_saved": ("整通结论已保存", "Verdict saved"),
    "qa.add_missed": ("添加漏检违规", "Add a finding the machine missed"),
    "qa.missed_where": ("标记位置", "Where"),
    "qa.where_turn": ("坐席的某一轮", "An agent's turn"),
    "qa.where_time": ("音频中的时间", "A time in the audio"),
    "qa.missed_turn": ("所在轮次", "Turn"),
    "qa.missed_at": ("音频时间（如 1:23 或 83.5 秒；取此刻所说的那一轮）",
                     "Time in the audio (e.g. 1:23 or 83.5 s; the turn said then)"),
    "qa.missed_quote": ("原话（留空为整轮）", "Words (empty: the whole turn)"),
    "qa.missed_category": ("违规类别", "Category"),
    "qa.missed_saved": ("漏检违规已添加", "Missed finding added"),
    "qa.contact_item": ("{rule} · {severity}：{why}", "{rule} · {severity}: {why}"),
    "qa.cron": ("定时任务（由 cron 执行，本应用只显示）：", "The cron line that runs it (cron runs it; this app only shows it):"),
    "qa.last_run": ("上次运行 {at}（{by}）：期间 {since} 至 {until}，{what}",
                    "Last run {at} ({by}): {since} to {until}, {what}"),
    "qa.run_new": ("新抽样第 {draw} 次，{calls} 通", "new draw {draw}, {calls} calls"),
    "qa.run_same": ("与已记录的第 {draw} 次抽样相同（{calls} 通），未新增", "the same as draw {draw} ({calls} calls), nothing new"),
    "qa.run_failed": ("失败：{problem}", "failed: {problem}"),
    "qa.never_ran": ("该计划尚未运行过（没有 audit sample 的运行记录）", "This plan has not run yet (no run of audit sample recorded)"),
    "qa.runs": ("最近的运行", "Recent runs"),
    "qa.col_rule": ("规则", "Rule"),
    "qa.col_upheld": ("确认", "Upheld"),
    "qa.col_dismissed": ("驳回", "Dismissed"),
    "qa.col_changed": ("调整严重度", "Severity changed"),
    "qa.col_precision": ("精确率", "Precision"),
    "qa.col_interval": ("95% 区间", "95% interval"),
    "qa.col_found": ("检出通话", "Calls found"),
    "qa.col_missed_sampled": ("抽检漏检", "Missed in sample"),
    "qa.col_missed_estimate": ("漏检估计", "Missed (estimate)"),
    "qa.col_recall": ("召回率", "Recall"),
}

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "category": {
        "violence_threat": ("暴力威胁", "Violence threat"), "intimidation": ("恐吓", "Intimidation"),
        "impersonation": ("冒充公检法", "Impersonation"), "false_legal_threat": ("虚假法律后果", "False legal threat"),
        "insult": ("辱骂", "Insult"), "third_party_disclosure": ("向第三方泄露债务", "Third-party disclosure"),
        "privacy_exposure": ("曝光隐私", "Privacy exposure"), "harassment": ("骚扰", "Harassment"),
        "induce_borrowing": ("诱导借贷", "Inducing borrowing"), "unofficial_channel": ("私人收款", "Unofficial channel"),
        "third_party_collection": ("要求第三方还款", "Third-party collection"),
        "improper_conduct": ("不当言行", "Improper conduct"),
        "contact_frequency": ("联系频次超限", "Contact frequency"),
    },
    "severity": {"critical": ("严重", "Critical"), "major": ("较重", "Major"), "minor": ("轻微", "Minor")},
    "verdict": {"fail": ("不通过", "Fail"), "review": ("待复核", "Review"), "pass": ("通过", "Pass")},
    "review": {"upheld": ("确认违规", "Upheld"), "dismissed": ("驳回（误报）", "Dismissed"),
               "severity_changed": ("调整严重度", "Severity changed"), "appeal": ("坐席申诉", "Appeal"),
               "appeal_upheld": ("申诉成立", "Appeal upheld"), "appeal_rejected": ("申诉驳回", "Appeal rejected"),
               "added": ("人工添加（漏检）", "Added by a reviewer")},
    "role": {"reviewer": ("质检员", "Reviewer"), "team_lead": ("组长", "Team lead"), "admin": ("管理员", "Admin")},
    "speaker": {"agent": ("坐席", "Agent"), "customer": ("客户", "Customer"), "unknown": ("未知", "Unknown")},
    "match_kind": {"term": ("词条", "Term"), "pattern": ("句式", "Pattern"), "token_pattern": ("分词句式", "Token pattern"),
                   "context": ("通话情境", "Call context"), "model": ("学习模型", "Learned reader"),
                   "reviewer": ("人工添加", "Added by a reviewer")},
    "disclosure": {"greeting": ("问候", "Greeting"), "agent_identity": ("工号/姓名", "Agent identity"),
                   "institution": ("机构", "Institution"), "right_party_verification": ("核实本人", "Right party"),
                   "purpose": ("来电事由", "Purpose"), "recording_notice": ("录音提示", "Recording notice"),
                   "official_channel": ("官方还款渠道", "Official channel"), "closing": ("结束语", "Closing")},
    "status": {"present": ("已告知", "Present"), "missing": ("缺失", "Missing"),
               "not_applicable": ("不适用", "Not applicable"), "unverifiable": ("无法判断", "Unverifiable")},
    "item_kind": {"call_time": ("通话时间违规", "Call in the quiet hours"), "review_reason": ("需复核原因", "Review reason"),
                  "verdict": ("机器结论", "Machine verdict"),
                  "contact_frequency": ("联系频次超限（拨号记录）", "Contact frequency (dial log)")},
    "review_status": {"unreviewed": ("未复核", "Unreviewed"), "upheld": ("已确认", "Upheld"),
                      "dismissed": ("已驳回", "Dismissed"), "severity_changed": ("已调整严重度", "Severity changed"),
                      "appealed": ("申诉中", "Appeal pending")},
    "column": {"rule_id": ("规则编号", "Rule"), "category": ("违规类别", "Category"), "severity": ("严重程度", "Severity"),
               "description": ("说明", "Description"), "description_zh": ("说明", "Description"),
               "terms": ("词条", "Terms"), "patterns": ("句式数", "Patterns"),
               "token_patterns": ("分词句式数", "Token patterns"), "exceptions": ("例外句式数", "Exceptions"),
               "legal_basis": ("法律依据", "Legal basis"), "rules": ("规则数", "Rules"),
               "disclosure": ("告知项", "Disclosure"), "window": ("检查范围", "Window"), "signal": ("客户信号", "Signal"),
               "agent_id": ("坐席工号", "Agent"), "agent_name": ("姓名", "Name"), "team": ("团队", "Team"),
               "calls": ("通话数", "Calls"), "mean_score": ("平均分", "Mean score"),
               "median_score": ("中位分", "Median score"), "pass_rate": ("通过率", "Pass rate"),
               "critical_per_100": ("严重违规通话/百通", "Calls with a critical finding per 100"),
               "complaints_per_100": ("投诉意向/百通", "Complaint intents per 100 calls"),
               "vulnerability_per_100": ("弱势客户/百通", "Vulnerable customers per 100 calls"),
               "rank": ("排名", "Rank"), "week_start": ("周（周一）", "Week (Monday)"), "agents": ("坐席数", "Agents"),
               "fail_calls": ("不通过通话", "Failed calls"), "critical_calls": ("严重违规通话", "Calls with a critical "
                                                                                     "finding")},
    # what each figure of the agents' table means, on hover over its header
    "column_note": {
        "calls": ("审核的通话数", "Calls audited"),
        "agents": ("有通话的坐席人数", "Agents with at least one call in the team"),
        "mean_score": ("复核后的得分（0–100）；机器列为复核前", "Score (0–100) after reviews; the machine column: before"),
        "median_score": ("复核后的得分（0–100）；机器列为复核前", "Score (0–100) after reviews; the machine column: before"),
        "pass_rate": ("结论为通过的通话占比；待复核的不算通过", "Share of calls whose verdict is pass; calls to review "
                                                              "are not passes"),
        "critical_per_100": ("每百通中有严重违规（未驳回的严重违规条目或夜间通话）的通话数",
                             "Calls with a critical finding or a call at night, not dismissed, per 100 calls"),
        "complaints_per_100": ("每百通中客户表示要投诉的通话数", "Calls with a complaint intent per 100 calls"),
        "vulnerability_per_100": ("每百通中客户处境脆弱的通话数", "Calls with a vulnerable customer per 100 calls"),
        "findings": ("该类别计入的违规条数", "Counted findings of that category"),
        "disclosure": ("已告知 /（已告知 + 缺失）；不适用与无法判定不计", "Present / (present + missing); not "
                                                                   "applicable and unverifiable left out"),
        "rank": ("1 为最好：先按严重违规/百通升序，再按平均分降序；相同者同名次",
                 "1 = best: critical per 100 ascending, then mean score descending; ties share a rank")},
    "measure": {"duration_s": ("通话时长（秒）", "Call length (s)"),
                "agent_talk_s": ("坐席说话时长（秒）", "Agent talk (s)"),
                "customer_talk_s": ("客户说话时长（秒）", "Customer talk (s)"),
                "agent_talk_share": ("坐席说话占比", "Agent share of talk"),
                "longest_silence_s": ("最长静默（秒）", "Longest silence (s)"),
                "silence_ratio": ("静默占比", "Silence share"),
                "overlap_count": ("抢话次数", "Talk-overs"),
                "overlap_s": ("抢话时长（秒）", "Talk-over time (s)"),
                "agent_chars_per_min": ("坐席语速（字/分钟）", "Agent speech rate (chars/min)")},
    "reason": {"critical finding read through homophones only": ("严重违规仅经同音字识别",
                                                                 "Critical finding read through homophones only"),
               "finding in a turn whose speaker is unknown": ("违规所在语句说话人未识别",
                                                              "Finding in a turn whose speaker is unknown"),
               "disclosure unverifiable (poor or missing agent speech)": ("告知项无法判断（坐席语音缺失或质量差）",
                                                                          "Disclosure unverifiable (poor or missing "
                                                                          "agent speech)"),
               "customer may be vulnerable": ("客户可能处于弱势（轻生、重病、失业）", "Customer may be vulnerable"),
               "finding read through homophones": ("违规经同音字识别", "Finding read through homophones"),
               "finding only the learned reader saw": ("仅学习模型发现的违规", "Finding only the learned reader saw")},
    "signal": {"customer_abuse": ("客户辱骂", "Customer abuse"), "vulnerability": ("客户表示轻生/重病/失业", "Vulnerability"),
               "complaint_intent": ("投诉意向", "Complaint intent"), "dispute": ("争议", "Dispute"),
               "promise_to_pay": ("承诺还款", "Promise to pay")},
    "sample_verdict": {"pass": ("合格", "Pass (合格)"), "fail": ("不合格", "Fail (不合格)")},
    "sample_reason": {"rate": ("按比例抽取", "by rate"), "boost": ("致命率上升加抽", "boosted: critical rate rose"),
                      "new_agent": ("新坐席", "new agent")},
    "weekday": {"monday": ("一", "Monday"), "tuesday": ("二", "Tuesday"), "wednesday": ("三", "Wednesday"),
                "thursday": ("四", "Thursday"), "friday": ("五", "Friday"), "saturday": ("六", "Saturday"),
                "sunday": ("日", "Sunday")},
}


# Measures that are shares (shown as percentages) and those counted in whole numbers; the rest are seconds or rates.
SHARE_MEASURES = ("agent_talk_share", "silence_ratio")


def measure_value(measure: str, value) -> str:
    """A measure's value as a person reads it: shares as percentages, seconds to a tenth, counts whole."""
    if value is None:
        return t("call.not_measured")
    if measure in SHARE_MEASURES:
        return f"{value:.0%}"
    if measure == "overlap_count":
        return str(int(value))
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def measure_limits(measure: str, low, high) -> str:
    if low is None and high is None:
        return t("call.no_limit")
    if low is not None and high is not None:
        return f"{measure_value(measure, low)} – {measure_value(measure, high)}"
    return f"≤ {measure_value(measure, high)}" if high is not None else f"≥ {measure_value(measure, low)}"


def column(key: str) -> str:
    """A table column's header in the reader's language (``agent_id`` -> 坐席工号; ``pass_rate_reviewed`` -> 通过率
    (复核后)); an unknown key is shown as it is."""
    for suffix, (zh, en) in (("_reviewed", ("（复核后）", " (after reviews)")), ("_raw", ("（机器）", " (machine)"))):
        if key.endswith(suffix):
            return column(key.removesuffix(suffix)) + (en if lang() == "en" else zh)
    if key.startswith("findings_"):  # one column per category: how many of its findings
        return label("category", key.removeprefix("findings_")) + (" (findings)" if lang() == "en" else "（条数）")
    return label("column", key)


def column_note(figure: str) -> str | None:
    """What a figure of the agents' table means, in the reader's language (``findings_insult`` and
    ``disclosure_greeting`` share their kind's note), or None."""
    kind = next((prefix for prefix in ("findings", "disclosure") if figure.startswith(prefix + "_")), figure)
    return label("column_note", kind) if kind in LABELS["column_note"] else None


def reason(text: str) -> str:
    """A stored review reason in the reader's language (the two with a value in them are matched by shape)."""
    if text.startswith("customer signal: "):
        return label("signal", text.removeprefix("customer signal: "))
    if text.startswith("score below ") and lang() == "zh":
        return f"仅计入待确认违规时得分低于 {text.split()[2]}"
    return label("reason", text)


def lang() -> str:
    value = st.session_state.get("lang", "zh")
    return value if value in LANGUAGES else "zh"


def t(key: str, **values) -> str:
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang() == "en" and pair[1] else pair[0]
    return text.format(**values) if values else text


def label(kind: str, value: str | None) -> str:
    """A code (category, severity, verdict...) in the reader's language; unknown codes are shown as they are."""
    if value is None:
        return ""
    pair = LABELS.get(kind, {}).get(value)
    if pair is None:
        return str(value)
    return pair[1] if lang() == "en" else pair[0]
