"""Examples of the main operations' answers for ``/openapi.json`` (from the synthetic bank).

They document the shape; every value is synthetic. A unit test checks each against
its response model, so an example cannot drift from the contract.
"""

from __future__ import annotations

from typing import Any, Final

CUSTOMERS_PAGE_EXAMPLE: Final[dict[str, Any]] = {
    "total": 90,
    "limit": 1,
    "offset": 0,
    "items": [
        {
            "id": "C0000091",
            "name": "HT建筑工程股份有限公司",
            "uscc": "91110102N1BW8D931X",
            "segment": "strategic",
            "industry": "construction",
            "region": "北京",
            "branch_id": "BR-BJ-02",
            "rm_id": "RM00005",
            "exposure": {"amount": "1527314979.91", "currency": "CNY"},
        }
    ],
}

CUSTOMER_360_EXAMPLE: Final[dict[str, Any]] = {
    "profile": {
        "id": "C0000004",
        "name": "广州康森粮油有限公司",
        "uscc": "91440105AM8E9TGL26",
        "segment": "core",
        "industry": "food",
        "region": "广州",
        "status": "active",
        "founded": "2007-07-03",
        "branch_id": "BR-GZ-02",
        "branch_name": "广州越秀支行",
        "rm_id": "RM00018",
        "rm_name": "蔡思军",
        "registered_capital": {"amount": "93940000.00", "currency": "CNY"},
    },
    "segment_history": [{"as_of": "2025-03-31", "segment": "core"}],
    "products": [
        {
            "product_code": "CM-PAYROLL",
            "name": "代发工资",
            "category": "cash_management",
            "currency": "CNY",
            "opened": "2021-01-07",
            "balance": {"amount": "0.00", "currency": "CNY"},
        }
    ],
    "facilities": {
        "items": [
            {
                "facility_id": "F0000003",
                "product": "TF-BA",
                "currency": "CNY",
                "maturity": "2026-11-20",
                "limit": {"amount": "22330000.00", "currency": "CNY"},
                "outstanding": {"amount": "15452675.81", "currency": "CNY"},
            }
        ],
        "limit_total": [{"amount": "3036770000.00", "currency": "CNY"}],
        "outstanding_total": [{"amount": "2730006043.30", "currency": "CNY"}],
    },
    "group": {
        "group_id": "GRP-P0000071",
        "role": "subsidiary",
        "depth": 4,
        "size": 8,
        "over_concentration": True,
        "rank": 1,
        "controller": {"id": "P0000071", "name": "何浩佳", "type": "person"},
        "exposure": {
            "limit_total": [{"amount": "3883060000.00", "currency": "CNY"}],
            "outstanding_total": [{"amount": "3053412423.83", "currency": "CNY"}],
        },
    },
    "guarantees": {"given": [], "received": [], "circles": []},
    "supply_chain": {
        "suppliers": [
            {
                "company_id": "C0000119",
                "name": "远创精细化工(广州)有限公司",
                "is_customer": True,
                "currency": "CNY",
                "category": "包装材料",
                "amount": {"amount": "31030000.00", "currency": "CNY"},
            }
        ],
        "buyers": [],
    },
    "counterparties": {
        "window": {"from": "2025-01", "to": "2025-12"},
        "top_in": [
            {
                "company_id": "C0000021",
                "name": "昕和宙制造(上海)有限公司",
                "is_customer": False,
                "total": {"amount": "79765314.47", "currency": "CNY"},
                "txn_count": 15,
                "months_active": 12,
                "trend": "up",
                "monthly": [{"amount": "7110857.98", "currency": "CNY"}],
            }
        ],
        "top_out": [
            {
                "company_id": "C0000065",
                "name": "广州汇恒澜环保科技有限公司",
                "is_customer": False,
                "total": {"amount": "35655959.19", "currency": "CNY"},
                "txn_count": 14,
                "months_active": 12,
                "trend": "flat",
                "monthly": [{"amount": "3027807.36", "currency": "CNY"}],
            }
        ],
    },
    "introduced_prospects": [
        {"id": "C0000021", "name": "昕和宙制造(上海)有限公司", "score": 0.5491, "rank": 27}
    ],
    "key_persons": [
        {
            "person_id": "P0000321",
            "name": "王建国",
            "role": "legal_representative",
            "role_name": "法定代表人",
            "since": "2019-03-01",
            "until": None,
            "current": True,
            "other_companies": [
                {
                    "id": "C0000188",
                    "key": "C0000188",
                    "name": "广州翔粮物流有限公司",
                    "is_customer": True,
                    "visible": True,
                    "role": "director",
                    "role_name": "董事",
                    "since": "2021-06-30",
                    "until": None,
                },
                {
                    "id": None,
                    "key": "hidden-1",
                    "name": "另一分支机构的客户",
                    "is_customer": True,
                    "visible": False,
                    "role": None,
                    "role_name": None,
                    "since": None,
                    "until": None,
                },
            ],
            "family": [
                {
                    "person_id": "P0000322",
                    "name": "李秀英",
                    "relation": "spouse",
                    "relation_name": "配偶",
                    "companies": [
                        {
                            "id": "C0000190",
                            "key": "C0000190",
                            "name": "广州秀英贸易有限公司",
                            "is_customer": False,
                            "visible": True,
                            "role": "supervisor",
                            "role_name": "监事",
                            "since": None,
                            "until": None,
                        }
                    ],
                }
            ],
        }
    ],
    "events": [
        {
            "id": "EV-094d459fa779d243d479",
            "type": "segment_downgrade",
            "severity": "medium",
            "month": "2025-12",
            "status": "new",
            "customer": {
                "id": "C0000104",
                "name": "广州翔粮汽车配件股份有限公司",
                "branch_id": "BR-GZ",
                "rm_id": "RM00013",
            },
            "owner_rm_id": "RM00013",
            "counterparty_id": None,
            "suggested_action": "retention_visit",
            "explanation": "2025-12-31客户分层由成长客户降至基础客户",
            "explanation_message": {
                "key": "Segment fell from {previous} to {current} on {date}",
                "params": {
                    "previous": {"code_list": "segment", "code": "growth"},
                    "current": {"code_list": "segment", "code": "basic"},
                    "date": "2025-12-31",
                },
            },
            "evidence": {
                "as_of": "2025-12-31",
                "from": "growth",
                "levels": 1,
                "previous_as_of": "2025-09-30",
                "to": "basic",
            },
            "related_event_ids": [],
            "created_at": "2026-12-01T13:58:12.415000+00:00",
            "history": [],
        }
    ],
    "opportunities": [
        {
            "id": "OPP-04002f4a8cb442ee",
            "company": {"id": "C0000004", "name": "广州康森粮油有限公司", "is_customer": True},
            "source": {"kind": "manual", "id": None},
            "product": None,
            "expected_amount": {"amount": "100.50", "currency": "CNY"},
            "stage": "contacted",
            "owner_rm_id": "RM00018",
            "branch_id": "BR-GZ-02",
            "due_date": None,
            "notes": None,
            "activities": [
                {
                    "kind": "call",
                    "date": "2026-01-01",
                    "text": "hi",
                    "by": "u-d01a0f1a022c",
                    "recorded_at": "2026-12-01T14:00:04.574091+00:00",
                }
            ],
            "history": [
                {
                    "from": None,
                    "to": "identified",
                    "by": "u-d01a0f1a022c",
                    "at": "2026-12-01T14:00:03.641848+00:00",
                    "reason": None,
                }
            ],
            "created_by": "u-d01a0f1a022c",
            "created_at": "2026-12-01T14:00:03.641848Z",
            "updated_at": "2026-12-01T14:00:04.574091Z",
            "version": 1,
        }
    ],
    "recommendations": [],
    "contribution": {
        "balance": "2794339152.65",
        "currency": "CNY",
        "peer_group_size": 2,
        "percentile": 1.0,
        "peers": 20,
    },
}

NETWORK_EXAMPLE: Final[dict[str, Any]] = {
    "title": "广州康森粮油有限公司",
    "nodes": [
        {
            "id": "C0000004",
            "label": "广州康森粮油有限公司",
            "kind": "customer",
            "level": 0,
            "details": {
                "id": "C0000004",
                "kind": "customer",
                "uscc": "91440105AM8E9TGL26",
                "segment": "core",
                "industry": "food",
                "region": "广州",
                "status": "active",
                "branch_id": "BR-GZ-02",
            },
        }
    ],
    "edges": [
        {
            "source": "C0000021",
            "target": "C0000004",
            "relation": "PAYS",
            "label": "¥7,976.53万",
            "weight": 7976531447.0,
        }
    ],
}

PROSPECTS_PAGE_EXAMPLE: Final[dict[str, Any]] = {
    "total": 346,
    "limit": 1,
    "offset": 0,
    "items": [
        {
            "id": "C0000161",
            "name": "华越电子有限责任公司",
            "uscc": "91110104BE01N3Q608",
            "score": 0.792,
            "rank": 1,
            "industry": "electronics",
            "region": "北京",
            "core_enterprise": True,
            "components": {
                "amount": 1.0,
                "count": 0.9673,
                "customers": 0.6667,
                "groups": 0.0,
                "influence": 0.9826,
                "months": 1.0,
                "supply": 1.0,
                "trend": 0.5563,
            },
            "reasons": ["供应链核心企业"],
            "reason_messages": [{"key": "core enterprise of a supply chain", "params": {}}],
            "linked_customers": [
                {
                    "id": "C0000123",
                    "name": "上海睿达光电有限公司",
                    "paid_in": {"amount": "0.00", "currency": "CNY"},
                    "paid_out": {"amount": "314358383.38", "currency": "CNY"},
                    "months": 12,
                    "txn_count": 19,
                    "supply_roles": ["buyer"],
                }
            ],
            "linked_customers_outside_scope": 0,
            "suggested_branch": {"id": "BR-SH-02", "name": "上海徐汇支行"},
            "suggested_rm": {"id": "RM00012", "name": "孟轩国"},
            "introducer": {"id": "C0000123", "name": "上海睿达光电有限公司"},
            "facts": {
                "core_links": 0,
                "currency": "CNY",
                "customers": 4,
                "customers_in": 2,
                "customers_out": 2,
                "groups": 0,
                "growth_pct": 14,
                "min_monthly_customers": 4,
                "months_active": 12,
                "months_in": 12,
                "months_in_window": 12,
                "months_out": 12,
                "paid_in_minor": 15518226460,
                "paid_out_minor": 42662321891,
                "supply_links": 4,
                "txn_count": 70,
            },
        }
    ],
}

PROSPECT_EXAMPLE: Final[dict[str, Any]] = {
    "id": "C0000161",
    "name": "华越电子有限责任公司",
    "uscc": "91110104BE01N3Q608",
    "score": 0.792,
    "rank": 1,
    "industry": "electronics",
    "region": "北京",
    "core_enterprise": True,
    "components": {
        "amount": 1.0,
        "count": 0.9673,
        "customers": 0.6667,
        "groups": 0.0,
        "influence": 0.9826,
        "months": 1.0,
        "supply": 1.0,
        "trend": 0.5563,
    },
    "reasons": ["供应链核心企业"],
    "reason_messages": [{"key": "core enterprise of a supply chain", "params": {}}],
    "linked_customers": [
        {
            "id": "C0000123",
            "name": "上海睿达光电有限公司",
            "paid_in": {"amount": "0.00", "currency": "CNY"},
            "paid_out": {"amount": "314358383.38", "currency": "CNY"},
            "months": 12,
            "txn_count": 19,
            "supply_roles": ["buyer"],
        }
    ],
    "linked_customers_outside_scope": 0,
    "suggested_branch": {"id": "BR-SH-02", "name": "上海徐汇支行"},
    "suggested_rm": {"id": "RM00012", "name": "孟轩国"},
    "introducer": {"id": "C0000123", "name": "上海睿达光电有限公司"},
    "facts": {
        "core_links": 0,
        "currency": "CNY",
        "customers": 4,
        "customers_in": 2,
        "customers_out": 2,
        "groups": 0,
        "growth_pct": 14,
        "min_monthly_customers": 4,
        "months_active": 12,
        "months_in": 12,
        "months_in_window": 12,
        "months_out": 12,
        "paid_in_minor": 15518226460,
        "paid_out_minor": 42662321891,
        "supply_links": 4,
        "txn_count": 70,
    },
    "money_paths": [
        {
            "customer": {"id": "C0000123", "name": "上海睿达光电有限公司"},
            "path_en": None,
            "paid_in": {"amount": "0.00", "currency": "CNY"},
            "paid_out": {"amount": "314358383.38", "currency": "CNY"},
            "supply_roles": ["buyer"],
            "monthly": [
                {
                    "month": "2025-01",
                    "direction": "out",
                    "amount": "27270715.32",
                    "currency": "CNY",
                    "txn_count": 1,
                }
            ],
        }
    ],
    "explanation": (
        "供应链核心企业；"
        "2家客户12个月内向其付款¥1.55亿；"
        "12个月内向2家客户付款¥4.27亿；"
        "连续12个月每月与至少4家客户往来；"
        "向2家客户供货（年供货额¥1.55亿）；"
        "从2家客户采购（年采购额¥4.28亿）；"
        "末季度交易额较首季度增长14%；"
        "最强关联客户：上海睿达光电有限公司（12个月，¥3.14亿）"
    ),
}

EVENTS_PAGE_EXAMPLE: Final[dict[str, Any]] = {
    "total": 18,
    "limit": 1,
    "offset": 0,
    "items": [
        {
            "id": "EV-094d459fa779d243d479",
            "type": "segment_downgrade",
            "severity": "medium",
            "month": "2025-12",
            "status": "new",
            "customer": {
                "id": "C0000104",
                "name": "广州翔粮汽车配件股份有限公司",
                "branch_id": "BR-GZ",
                "rm_id": "RM00013",
            },
            "owner_rm_id": "RM00013",
            "counterparty_id": None,
            "suggested_action": "retention_visit",
            "explanation": "2025-12-31客户分层由成长客户降至基础客户",
            "explanation_message": {
                "key": "Segment fell from {previous} to {current} on {date}",
                "params": {
                    "previous": {"code_list": "segment", "code": "growth"},
                    "current": {"code_list": "segment", "code": "basic"},
                    "date": "2025-12-31",
                },
            },
            "evidence": {
                "as_of": "2025-12-31",
                "from": "growth",
                "levels": 1,
                "previous_as_of": "2025-09-30",
                "to": "basic",
            },
            "related_event_ids": [],
            "created_at": "2026-12-01T13:58:12.415000+00:00",
            "history": [],
        }
    ],
}

OPPORTUNITIES_PAGE_EXAMPLE: Final[dict[str, Any]] = {
    "total": 1,
    "limit": 1,
    "offset": 0,
    "items": [
        {
            "id": "OPP-04002f4a8cb442ee",
            "company": {"id": "C0000004", "name": "广州康森粮油有限公司", "is_customer": True},
            "source": {"kind": "manual", "id": None},
            "product": None,
            "expected_amount": {"amount": "100.50", "currency": "CNY"},
            "stage": "contacted",
            "owner_rm_id": "RM00018",
            "branch_id": "BR-GZ-02",
            "due_date": None,
            "notes": None,
            "activities": [
                {
                    "kind": "call",
                    "date": "2026-01-01",
                    "text": "hi",
                    "by": "u-d01a0f1a022c",
                    "recorded_at": "2026-12-01T14:00:04.574091+00:00",
                }
            ],
            "history": [
                {
                    "from": None,
                    "to": "identified",
                    "by": "u-d01a0f1a022c",
                    "at": "2026-12-01T14:00:03.641848+00:00",
                    "reason": None,
                }
            ],
            "created_by": "u-d01a0f1a022c",
            "created_at": "2026-12-01T14:00:03.641848Z",
            "updated_at": "2026-12-01T14:00:04.574091Z",
            "version": 1,
        }
    ],
}

GROUPS_PAGE_EXAMPLE: Final[dict[str, Any]] = {
    "total": 4,
    "limit": 1,
    "offset": 0,
    "items": [
        {
            "id": "GRP-P0000071",
            "controller": {"id": "P0000071", "name": "何浩佳", "type": "person"},
            "size": 8,
            "rank": 1,
            "over_concentration": True,
            "control_cycle": False,
            "cross_holding": True,
            "joint_members": 1,
            "exposure": [
                {"currency": "CNY", "limit": "3883060000.00", "outstanding": "3053412423.83"}
            ],
        }
    ],
}
