"""Every label of the boards in one place: Chinese first, English as the option (`?lang=en`, kept in a cookie).

A template writes `{{ t.key }}`; a key missing from a language falls back to Chinese, then to the key itself,
so a forgotten label shows as its key rather than breaking the page."""

from __future__ import annotations

LANGS = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    # chrome
    "app": ("售后看板", "After-sales boards"),
    "login": ("登录", "Log in"), "logout": ("退出", "Log out"), "username": ("用户名", "Username"),
    "password": ("密码", "Password"), "wrong_login": ("用户名或密码错误", "Wrong username or password"),
    "store": ("门店", "Store"), "group": ("集团", "Group"), "language": ("English", "中文"),
    "withheld": ("无权查看", "Not permitted for your roles"),
    "unavailable": ("服务暂不可用", "Service unavailable"), "empty": ("暂无", "Nothing"),
    "forbidden": ("无权访问此页面", "Your roles may not open this page"),
    "live": ("实时", "Live"), "updated": ("更新于", "Updated"),
    # pages
    "today": ("今日预约", "Today's bookings"), "workshop": ("车间看板", "Workshop board"),
    "parts": ("配件拣货", "Parts pick list"), "care": ("回访与投诉", "Follow-ups & complaints"),
    "claims": ("待厂家索赔", "Claims at the manufacturer"), "figures": ("经营指标", "Figures"),
    # today's bookings
    "slot": ("预约时段", "Slot"), "jobs": ("项目", "Jobs"), "parts_ready": ("配件就绪", "Parts ready"),
    "confirmed": ("已确认", "Confirmed"), "to_confirm": ("待确认", "To confirm with"),
    "customer_called": ("已致电客户", "Customer called"),
    "waiting_for_parts": ("等待配件", "Waiting for parts"), "ready_for_pickup": ("待交车", "Ready for pickup"),
    "state": ("状态", "State"),
    "yes": ("是", "yes"), "no": ("否", "no"), "vehicle": ("车辆", "Vehicle"),
    # workshop
    "order": ("工单", "Order"), "technician": ("技师", "Technician"), "team": ("班组", "Team"),
    "promised": ("承诺交车", "Promised"), "estimated": ("预计完工", "Estimated"), "delayed": ("延误", "Delayed"),
    "waiting": ("等待原因", "Waiting for"), "hours": ("工时 (已用/标准)", "Hours (clocked/flat)"),
    "next_check": ("下一检", "Next check"), "dispatch": ("派工", "Dispatch"),
    "recommended": ("推荐技师", "Recommended"),
    "priority": ("优先级", "Priority"), "on_time": ("准时", "On time"), "findings": ("待确认增项", "Findings pending"),
    "dispatched": ("已派工", "Dispatched"),
    # parts
    "part_no": ("零件号", "Part no."), "quantity": ("数量", "Quantity"), "parts_status": ("配件状态", "Parts status"),
    "booked_parts": ("预约配件 (今明两天)", "Parts for bookings (today and tomorrow)"),
    "open_requests": ("待发料领料单", "Open issue requests"), "requested_at": ("申请时间", "Requested"),
    "job": ("作业", "Job"), "warranty": ("索赔", "Warranty"), "total_to_pick": ("合计拣货", "Total to pick"),
    # care
    "follow_ups_due": ("今日待回访", "Follow-ups due"), "follow_ups_failed": ("回访失败", "Follow-ups failed"),
    "due_by": ("截止", "Due by"), "attempts": ("拨打次数", "Attempts"), "reason": ("原因", "Reason"),
    "complaints": ("未结投诉", "Open complaints"), "severity": ("严重程度", "Severity"),
    "summary": ("摘要", "Summary"), "deadline": ("处理时限", "Deadline"), "overdue": ("已超时", "Overdue"),
    "department": ("责任部门", "Department"), "customer_name": ("客户", "Customer"), "phone": ("电话", "Phone"),
    "plate": ("车牌", "Plate"),
    # claims
    "claim_number": ("索赔单号", "Claim no."), "amount": ("金额", "Amount"), "submitted_at": ("提交时间", "Submitted"),
    # figures
    "period": ("周期", "Period"), "granularity": ("粒度", "Granularity"), "day": ("日", "Day"),
    "week": ("周", "Week"), "month": ("月", "Month"), "from": ("从", "From"), "to": ("到", "To"),
    "show": ("查询", "Show"), "all_stores": ("全部门店与集团", "Every store and the group"),
    "partial": ("部分服务未响应", "Some services did not answer"),
    # the states services answer, shown in the page's language
    "queued": ("待派工", "queued"), "in_progress": ("维修中", "in progress"), "paused": ("暂停", "paused"),
    "completed": ("已完工", "completed"), "rework": ("返工", "rework"), "passed": ("已终检", "passed"),
    "booked": ("已预约", "booked"), "checked_in": ("已到店", "checked in"),
    "to_rebook": ("待改约", "to rebook"), "cancelled": ("已取消", "cancelled"), "no_show": ("未到店", "no show"),
    "open": ("待处理", "open"), "assigned": ("已分派", "assigned"), "resolved": ("已解决", "resolved"),
    "reopened": ("重新打开", "reopened"), "submitted": ("已提交厂家", "submitted"),
    "in_stock": ("有库存", "in stock"), "reserved": ("已预留", "reserved"), "short": ("缺件", "short"),
    "awaiting_arrival": ("等待到货", "awaiting arrival"), "not_needed": ("无需配件", "none needed"),
    "party_workshop": ("车间", "workshop"), "party_parts": ("配件", "parts"), "party_claims": ("索赔", "claims"),
    "party_customer": ("客户", "customer"), "self": ("自检", "self check"), "team_leader": ("互检", "team leader"),
    "final": ("终检", "final"),
    # a work order's state: "open" is a car in the workshop, not a complaint waiting to be handled
    "work_order_open": ("在厂维修", "in the workshop"), "work_order_ready_for_pickup": ("待交车", "ready for pickup"),
    "work_order_closed": ("已交车", "delivered"),
    # why a job waits
    "pause_waiting_parts": ("等待配件", "waiting for parts"),
    "pause_waiting_approval": ("等待客户确认", "waiting for approval"),
    "pause_joint_diagnosis": ("联合诊断", "joint diagnosis"), "pause_other": ("其他", "other"),
    "parts_not_issued": ("配件未发料", "parts not issued"),
    # a complaint's severity (the seeds' 抱怨 / 一般 / 中级 / 强烈) and why a follow-up failed
    "severity_grumble": ("抱怨", "grumble"), "severity_general": ("一般", "general"),
    "severity_medium": ("中级", "medium"), "severity_severe": ("强烈", "severe"),
    "failure_wrong_number": ("空号错号", "wrong number"), "failure_details_mismatch": ("资料不符", "details mismatch"),
    "failure_refused": ("拒绝接听", "refused"), "failure_no_answer": ("无人接听", "no answer"),
    # the figures' units (a bare ratio is shown in %)
    "unit_count": ("数量", "count"), "unit_CNY": ("元", "CNY"), "unit_score": ("分", "score"),
    "unit_turns/year": ("次/年", "turns/year"),
    # the figures (docs/kpis.md), headline ones first on the figures page (KPI_ORDER)
    "kpi_vehicles_in": ("进厂台次", "Vehicles in"), "kpi_revenue": ("维修产值", "Revenue"),
    "kpi_gross_profit": ("毛利", "Gross profit"), "kpi_gross_margin": ("毛利率", "Gross margin"),
    "kpi_revenue_per_vehicle": ("单台产值", "Revenue per vehicle"),
    "kpi_first_time_fix_rate": ("一次修复率", "First-time fix rate"), "kpi_csi": ("客户满意度", "CSI"),
    "kpi_follow_up_success_rate": ("回访成功率", "Follow-up success rate"),
    "kpi_booking_rate": ("预约率", "Booking rate"), "kpi_comeback_rate": ("返修率", "Comeback rate"),
    "kpi_severe_complaint_rate": ("强烈投诉率", "Severe complaint rate"),
    "kpi_technician_efficiency": ("技师效率", "Technician efficiency"),
    "kpi_final_inspection_pass_rate": ("终检合格率", "Final inspection pass rate"),
    "kpi_self_check_pass_rate": ("自检合格率", "Self-check pass rate"),
    "kpi_team_leader_check_pass_rate": ("互检合格率", "Team leader check pass rate"),
    "kpi_parts_fill_rate": ("一次满足率", "Parts fill rate"), "kpi_stock_turnover": ("库存周转率", "Stock turnover"),
    "kpi_parts_revenue": ("配件销售", "Parts sales"), "kpi_parts_cost_issued": ("出库成本", "Cost of parts issued"),
    "kpi_revenue_labour": ("工时收入", "Labour revenue"), "kpi_revenue_parts": ("配件收入", "Parts revenue"),
    "kpi_revenue_materials": ("辅料收入", "Materials revenue"),
    "kpi_first_service_discount": ("首保优惠", "First service discount"),
    "kpi_revenue_customer": ("客户付费收入", "Revenue, customer pay"),
    "kpi_revenue_warranty": ("保修收入", "Revenue, warranty"),
    "kpi_revenue_insurance": ("保险收入", "Revenue, insurance"),
    "kpi_revenue_internal": ("内部收入", "Revenue, internal"),
    "kpi_warranty_claims_submitted": ("索赔提交数", "Warranty claims submitted"),
    "kpi_warranty_claim_value": ("保修索赔额", "Warranty claim value"),
    "kpi_warranty_approved_value": ("索赔批准额", "Warranty approved value"),
    "kpi_warranty_approval_rate": ("索赔批准率", "Warranty approval rate"),
    "kpi_warranty_paid_value": ("索赔款到账", "Warranty paid"),
    "kpi_insurance_claims_opened": ("保险理赔立案", "Insurance claims opened"),
    "kpi_insurance_claim_value": ("保险理赔产值", "Insurance claim value"),
    "kpi_insurance_paid_value": ("保险赔款到账", "Insurance paid"),
    "kpi_overdue_not_returned": ("超期未回厂", "Overdue, not returned"),
    "kpi_lapsed_vehicles": ("流失车辆", "Lapsed vehicles"),
}


# The figures page's order: what a store's manager reads first, then each department's, in the label table's order;
# a KPI a service adds later comes last, under its own name.
KPI_ORDER = [key.removeprefix("kpi_") for key in LABELS if key.startswith("kpi_")]


def kpi_rank(kpi: str) -> tuple[int, str]:
    return (KPI_ORDER.index(kpi) if kpi in KPI_ORDER else len(KPI_ORDER), kpi)


class Labels(dict):
    """One language's labels; `t.key` or `t["key"]` in a template, `t.of(value)` for a service's value."""

    def __getattr__(self, key: str) -> str:
        return self[key]

    def __missing__(self, key: str) -> str:
        return key

    def of(self, value: object, kind: str = "") -> str:
        """A value a service answered (a state, a party): its label if there is one, else the value itself.
        `kind` names whose value it is where one word means different things (a work order's "open")."""
        text = "" if value is None else str(value)
        return (kind and self.get(f"{kind}_{text}")) or self.get(text) or text


def labels(lang: str) -> Labels:
    i = LANGS.index(lang) if lang in LANGS else 0
    return Labels({k: v[i] or v[0] for k, v in LABELS.items()})


def language(asked: str | None, remembered: str | None) -> str:
    """`?lang=` wins, then the cookie, then Chinese."""
    for lang in (asked, remembered):
        if lang in LANGS:
            return lang
    return LANGS[0]
