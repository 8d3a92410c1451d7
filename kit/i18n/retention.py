"""Section 2.3, repurchase and retention: keys under ``ret.``."""

TEXT: dict[str, dict[str, str]] = {
    "ret.h.repurchase": {"zh": "复购与留存", "en": "Repurchase and retention"},
}
