"""The demo screen, one view per demo (the registry names each demo's view)."""

from trainer.tui.screens.demo.base import DemoBody, DemoView
from trainer.tui.screens.demo.dpo_view import DPOView
from trainer.tui.screens.demo.kvcache_view import KVCacheView
from trainer.tui.screens.demo.posenc_view import PosEncView
from trainer.tui.screens.demo.precision_view import PrecisionView
from trainer.tui.screens.demo.qkv_view import QKVView
from trainer.tui.screens.demo.rope_view import RopeView
from trainer.tui.screens.demo.scaling_view import ScalingView
from trainer.tui.screens.demo.screen import DemoScreen, view_class
from trainer.tui.screens.demo.speculative_view import SpeculativeView

__all__ = [
    "DPOView",
    "DemoBody",
    "DemoScreen",
    "DemoView",
    "KVCacheView",
    "PosEncView",
    "PrecisionView",
    "QKVView",
    "RopeView",
    "ScalingView",
    "SpeculativeView",
    "view_class",
]
