"""Files: model files (TOML), bundled reference models."""

from ._bundled import list_models as list_models
from ._bundled import load_model as load_model
from ._bundled import models_directory as models_directory
from ._bundled import save_model as save_model
from ._dimensions import check_units as check_units
from .model_file import format_model as format_model
from .model_file import parse_model as parse_model
from .model_file import read_model as read_model
from .model_file import write_model as write_model

__all__ = [
    "check_units",
    "format_model",
    "list_models",
    "load_model",
    "models_directory",
    "parse_model",
    "read_model",
    "save_model",
    "write_model",
]
