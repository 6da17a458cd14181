"""The web platform's one bilingual message catalogue: every label a page shows, in zh and en.

Vocabulary values (dataset kinds, stages, statuses…) are not repeated here: pages label them with
``resonance.registry.vocabularies.label``. A key missing from the catalogue is shown as the key itself, so a
forgotten label is visible on the page rather than an error.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # frame
    "site": ("模数共振空间", "Resonance Space"),
    "site_sub": ("“模数共振”行动成果统一承载展示平台", "the platform showing the achievements of the 模数共振 action"),
    "skip": ("跳到正文", "Skip to content"),
    "nav": ("主导航", "Main navigation"),
    "lang_switch": ("语言", "Language"),
    "other_lang": ("English", "中文"),
    "signed_in_as": ("已登录", "Signed in as"),
    "logout": ("退出登录", "Sign out"),
    "footer": (
        "元数据集中、数据分布：本平台不接收任何原始数据行。",
        "Metadata central, data distributed: this platform never receives a raw data row.",
    ),
    # pages
    "overview": ("总览", "Overview"),
    "industries": ("重点行业", "Industries"),
    "datasets": ("数据集目录", "Dataset catalog"),
    "scenarios": ("场景档案", "Scenario files"),
    "models": ("模型", "Models"),
    "leaderboards": ("评测榜单", "Leaderboards"),
    "jobs": ("训练任务", "Jobs"),
    "contracts": ("数字合约", "Contracts"),
    "ledger": ("存证账本", "Ledger"),
    "reports": ("报告", "Reports"),
    "conformance": ("TC609 对照表", "TC609 map"),
    # login
    "login": ("登录", "Sign in"),
    "login_intro": (
        "请输入 API 令牌（以 rs_ 开头，由运营方用 resonance token create 创建）。"
        "令牌只保存在本浏览器的 HttpOnly Cookie 中。",
        "Enter an API token (it starts with rs_; an operator creates it with resonance token create). "
        "It is kept only in an HttpOnly cookie of this browser.",
    ),
    "token": ("API 令牌", "API token"),
    "login_needed": ("请先登录。", "Please sign in first."),
    "login_refused": ("令牌被拒绝", "The token was refused"),
    "token_empty": ("请输入令牌。", "Enter a token."),
    "logged_out": ("已退出登录。", "You are signed out."),
    # errors
    "error": ("出错了", "Something went wrong"),
    "not_found": ("未找到", "Not found"),
    "no_page": ("没有这个页面", "There is no such page"),
    "forbidden": ("无权查看", "Not permitted"),
    "what": ("问题", "What"),
    "where": ("位置", "Where"),
    "fix": ("处理办法", "What to do"),
    "back_overview": ("返回总览", "Back to the overview"),
    # overview
    "counts": ("成果数量", "Counts"),
    "deadlines": ("报送截止时间", "Report deadlines"),
    "days_left": ("剩余 {n} 天", "{n} days left"),
    "days_over": ("已过 {n} 天", "{n} days past"),
    "today": ("今天", "today"),
    "progress": ("各行动主体任务进度", "Progress of each action entity on every quota"),
    "entity": ("行动主体", "Action entity"),
    "entities": ("行动主体", "Action entities"),
    "kind": ("类型", "Kind"),
    "checks_met": ("已达标检查项", "Checks met"),
    "completion": ("完成率", "Completion"),
    "overdue": ("逾期", "Overdue"),
    "rule": ("要求", "Requirement"),
    "scope": ("对象", "Scope"),
    "current": ("当前", "Current"),
    "required": ("要求", "Required"),
    "state": ("状态", "State"),
    "message": ("说明", "Detail"),
    "deadline": ("截止", "Deadline"),
    "details": ("明细", "Details"),
    "loading": ("展开后加载…", "Loaded when opened…"),
    "no_entities": ("尚未登记行动主体。", "No action entity is registered yet."),
    "state_met": ("已达标", "met"),
    "state_unmet": ("未达标", "unmet"),
    "state_overdue": ("已逾期", "overdue"),
    "state_late": ("逾期报送", "late"),
    "spaces": ("模数共振空间", "Spaces"),
    "consortia": ("创新联合体", "Consortia"),
    "agents": ("智能体", "Agents"),
    "cases": ("案例", "Cases"),
    "organisations": ("单位", "Organisations"),
    # lists
    "code": ("编号", "Code"),
    "name": ("名称", "Name"),
    "industry": ("行业", "Industry"),
    "owner": ("提供方", "Provider"),
    "status": ("状态", "Status"),
    "quality": ("质量", "Quality"),
    "sensitivity": ("级别", "Sensitivity"),
    "rows": ("行数", "Rows"),
    "columns": ("列数", "Columns"),
    "version": ("版本", "Version"),
    "search": ("搜索", "Search"),
    "search_label": ("关键词（中文或英文）", "Keywords (Chinese or English)"),
    "all": ("全部", "All"),
    "filter": ("筛选", "Filter"),
    "results": ("共 {n} 条", "{n} found"),
    "none_found": ("没有找到匹配的条目。", "Nothing matches."),
    "page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "see_all": ("查看全部 {n} 条", "See all {n}"),
    "none_yet": ("暂无。", "None yet."),
    "description": ("简介", "Description"),
    "selected_by": ("选定该行业的行动主体", "Action entities that selected it"),
    # dataset page
    "profile": ("数据画像", "Profile"),
    "quality_view": ("质量评测", "Quality"),
    "quality_dims": ("质量维度得分", "Quality dimension scores"),
    "overall": ("总分", "Overall"),
    "grade": ("等级", "Grade"),
    "not_assessed": ("未评估", "not assessed"),
    "histograms": ("数值列分布", "Distributions of numeric columns"),
    "top_values": ("常见取值", "Most frequent values"),
    "column": ("列", "Column"),
    "type": ("类型", "Type"),
    "missing": ("缺失", "Missing"),
    "distinct": ("不同取值", "Distinct"),
    "min": ("最小", "Min"),
    "max": ("最大", "Max"),
    "mean": ("均值", "Mean"),
    "no_profile": (
        "该数据集尚未由其节点发布数据画像与质量报告（resonance data publish）。",
        "Its node has not published a profile and quality report yet (resonance data publish).",
    ),
    "grading": ("分类分级", "Classification and grading"),
    "officer": ("数据安全负责人", "Data-security officer"),
    "reason": ("理由", "Reason"),
    "metadata_only": ("仅登记元数据，原始数据留在提供方节点。", "Metadata only; the rows stay on the provider's node."),
    "fingerprint": ("版本哈希", "Version hash"),
    "published_at": ("发布时间", "Published"),
    "licence": ("许可", "Licence"),
    "format": ("格式", "Format"),
    "category": ("类别", "Category"),
    "scenario": ("场景", "Scenario"),
    # scenarios
    "stage": ("环节", "Process stage"),
    "pain_point": ("业务痛点", "Pain point"),
    "baseline_kpi": ("现状基线", "Baseline"),
    "target_kpi": ("目标 KPI", "Target KPI"),
    "expected_value": ("预期价值", "Expected value"),
    "data_needs": ("数据需求", "Data needs"),
    "replicability": ("复制推广", "Replicability"),
    "criteria": ("遴选标准", "Selection criteria"),
    "tech_form": ("技术形态", "Technical form"),
    "lead": ("牵头单位", "Lead organisation"),
    "reference_example": ("参考示例", "Reference example"),
    "linked": ("关联成果", "Linked achievements"),
    # models
    "developer": ("研发单位", "Developer"),
    "family": ("模型族", "Family"),
    "lineage": ("血缘", "Lineage"),
    "round_metrics": ("逐轮指标", "Metrics per round"),
    "final_metrics": ("最终指标", "Final metrics"),
    "metric": ("指标", "Metric"),
    "value": ("数值", "Value"),
    "round": ("轮次", "Round"),
    "no_rounds": ("没有逐轮指标。", "No per-round metrics."),
    # flywheel
    "flywheel": ("数据飞轮", "Flywheel"),
    "flywheel_intro": (
        "评测诊断 → 数据集定向优化 → 模型能力提升：每一轮记录诊断出的薄弱切片、"
        "数据需求与优化前后的指标（95% 置信区间）。",
        "Evaluate and diagnose → targeted data → better model: each cycle records the weak slice it found, the data "
        "demands, and the metrics before and after (95% intervals).",
    ),
    "no_cycles": (
        "尚无飞轮记录：用 resonance flywheel run 运行一轮。",
        "No flywheel cycles yet: run one with `resonance flywheel run`.",
    ),
    "cycle": ("轮次记录", "Cycle"),
    "slice": ("切片", "Slice"),
    "seconds": ("用时（秒）", "Seconds"),
    "before_after": ("优化前后", "Before and after"),
    "before": ("优化前", "Before"),
    "after": ("优化后", "After"),
    "verdict": ("结论（按置信区间）", "Verdict (by the intervals)"),
    "part_slice": ("切片", "slice"),
    "part_overall": ("总体", "overall"),
    "verdict_better": ("提升", "better"),
    "verdict_worse": ("下降", "worse"),
    "verdict_tie": ("持平（区间重叠）", "tie (intervals overlap)"),
    "demands": ("数据需求", "Data demands"),
    "evaluations": ("评测结果", "Evaluation results"),
    "evaluator": ("评测机构", "Evaluator"),
    "no_evaluations": (
        "尚无评测结果：评测机构在其节点完成评测并签名后，榜单在此显示。",
        "No evaluation results yet: leaderboards appear here once evaluators have evaluated and signed models.",
    ),
    "rank": ("名次", "Rank"),
    "model": ("模型", "Model"),
    "dataset": ("数据集", "Dataset"),
    # jobs
    "job": ("任务", "Job"),
    "submitter": ("提交单位", "Submitter"),
    "rounds": ("轮次", "Rounds"),
    "live_progress": ("实时进度", "Live progress"),
    "updated_live": ("运行中，每秒刷新。", "Running; refreshed every second."),
    "job_metrics": ("各轮全局模型指标", "Metrics of the global model per round"),
    "created": ("创建时间", "Created"),
    "job_spec": ("任务定义（spec）", "Job definition (spec)"),
    "contribution": ("贡献度", "Contribution"),
    "contribution_note": (
        "由各轮更新重构联盟模型、在各节点评分得出（不重新训练）；各方 Shapley 值之和等于指标总提升。",
        "From the round updates: coalition models scored at the nodes, nothing retrained; the Shapley values add"
        " up to the metric's total gain.",
    ),
    "contribution_none": ("无贡献度估计", "No contribution estimate"),
    "share": ("占比", "Share"),
    "node_id": ("节点", "Node"),
    "loo": ("留一法", "Leave-one-out"),
    "contribution_gain": ("指标提升", "Metric gain"),
    "gain": ("总提升", "Total gain"),
    "method": ("方法", "Method"),
    "models_scored": ("评分的联盟模型数（重新训练 0 次）", "Coalition models scored (0 retrained)"),
    "job_queued": ("排队中", "queued"),
    "job_starting": ("启动中", "starting"),
    "job_running": ("运行中", "running"),
    "job_completed": ("已完成", "completed"),
    "job_stopped": ("已停止", "stopped"),
    "job_failed": ("失败", "failed"),
    "job_cancelled": ("已取消", "cancelled"),
    # contracts
    "contract": ("合约", "Contract"),
    "provider": ("提供方", "Provider"),
    "consumer": ("使用方", "Consumer"),
    "purpose": ("用途", "Purpose"),
    "operations": ("允许操作", "Operations"),
    "max_rounds": ("轮次上限", "Round cap"),
    "epsilon": ("ε 预算", "ε budget"),
    "expires": ("到期", "Expires"),
    "compute_node": ("计算位置（提供方节点）", "Compute location (provider node)"),
    "restrictions": ("输出限制", "Output restrictions"),
    "signatures": ("签名（每一步协商）", "Signatures (one per negotiation step)"),
    "step": ("步骤", "Step"),
    "party": ("参与方", "Party"),
    "at": ("时间", "At"),
    "policy": ("ODRL 策略", "ODRL policy"),
    "terminated_reason": ("终止原因", "Reason for termination"),
    # ledger
    "verification": ("账本校验", "Verification"),
    "verifying": ("正在校验全部事件…", "Verifying every event…"),
    "verified_ok": (
        "账本完整：{n} 个事件的哈希链与签名全部校验通过。",
        "Intact: the hash chain and signatures of all {n} events verify.",
    ),
    "verified_bad": ("账本校验失败：发现 {n} 处问题。", "Verification failed: {n} problem(s) found."),
    "events": ("事件", "Events"),
    "seq": ("序号", "Seq"),
    "event_kind": ("事件类型", "Kind"),
    "subject": ("对象", "Subject"),
    "actor": ("操作者", "Actor"),
    "hash": ("哈希", "Hash"),
    "payload": ("内容", "Payload"),
    "kind_filter": ("事件类型前缀（如 contract.）", "Kind prefix (e.g. contract.)"),
    "no_events": ("账本中没有事件。", "The ledger has no events."),
    # reports
    "report_make": ("生成并下载报告", "Build and download a report"),
    "report_kind": ("报告类型", "Report kind"),
    "report_lang": ("报告语言", "Report language"),
    "report_format": ("文件格式", "File format"),
    "download": ("下载", "Download"),
    "submitted_reports": ("已登记的报告", "Registered reports"),
    "submitted_on": ("报送日期", "Submitted on"),
    "title": ("标题", "Title"),
    "reports_unavailable": (
        "报告生成模块尚未安装（resonance.reports）。",
        "The report builder (resonance.reports) is not installed yet.",
    ),
    "plan": ("实施方案", "Implementation plan"),
    "phase": ("阶段总结报告", "Phase summary"),
    "final": ("总结报告", "Final summary"),
    # conformance
    "tc609_title": (
        "TC609-6-2025-01《可信数据空间 技术架构》功能对照表",
        "TC609-6-2025-01 trusted data space functions",
    ),
    "tc609_intro": (
        "下表把标准中服务平台的 7 项功能与接入连接器的 5 项功能对应到本平台的模块。这是对照说明，不是符合性声明。",
        "How the 7 functions of the service platform and the 5 functions of the access connector map to our "
        "modules. A map, not a claim of conformance.",
    ),
    "platform_functions": ("服务平台（本平台：空间服务器）", "Service platform (ours: the space server)"),
    "connector_functions": ("接入连接器（本平台：数据节点）", "Access connector (ours: the data node)"),
    "function": ("功能", "Function"),
    "our_modules": ("本平台模块", "Our modules"),
    "how": ("实现方式", "How"),
    "pages_here": ("相关页面", "Pages"),
}


def status_text(prefix: str, value: str, lang: Lang) -> str:
    """The label of a status (``job_running`` …); the value itself when the catalogue has none."""
    key = f"{prefix}_{value}"
    return text(key, lang) if key in MESSAGES else value


def text(key: str, lang: Lang, **values: object) -> str:
    """The label ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    chosen = pair[0] if lang == "zh" else pair[1]
    return chosen.format(**values) if values else chosen
