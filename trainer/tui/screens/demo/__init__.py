"""The demo screen, one view per demo (the registry names each demo's view)."""

from trainer.tui.screens.demo.base import DemoBody, DemoView
from trainer.tui.screens.demo.posenc_view import PosEncView
from trainer.tui.screens.demo.qkv_view import QKVView
from trainer.tui.screens.demo.scaling_view import ScalingView
from trainer.tui.screens.demo.screen import DemoScreen, view_class

__all__ = ["DemoBody", "DemoScreen", "DemoView", "PosEncView", "QKVView", "ScalingView", "view_class"]
