"""The evaluation pictures of the tumor classifier, drawn with matplotlib and saved as PNG.

Each function takes numbers and a path, writes one PNG there and returns the path. The Agg
backend is selected before pyplot loads, so this works on a machine without a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402


def _save(figure: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def confusion_matrix_png(matrix: np.ndarray, labels: Sequence[str], path: Path) -> Path:
    """A 2x2 grid of counts: rows are the true class, columns the predicted one."""
    figure, axes = plt.subplots(figsize=(4, 3.6))
    axes.imshow(matrix, cmap="Blues")
    for (row, column), count in np.ndenumerate(matrix):
        colour = "white" if count > matrix.max() / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=colour, fontsize=14)
    axes.set_xticks(range(len(labels)), labels)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title("Confusion matrix (test set)")
    return _save(figure, path)


def roc_curve_png(false_positive_rate: np.ndarray, true_positive_rate: np.ndarray, auc: float,
                  path: Path) -> Path:
    """The ROC curve against the diagonal of a coin toss, with its area in the legend."""
    figure, axes = plt.subplots(figsize=(4, 3.6))
    axes.plot(false_positive_rate, true_positive_rate, label=f"model (AUC {auc:.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.set_title("ROC curve (test set)")
    axes.legend(loc="lower right")
    return _save(figure, path)


def feature_importance_png(names: Sequence[str], importances: np.ndarray, path: Path,
                           top: int = 12) -> Path:
    """The `top` most important features as horizontal bars, the largest on top."""
    order = np.argsort(importances)[-top:]
    figure, axes = plt.subplots(figsize=(5, 4))
    axes.barh([names[i] for i in order], importances[order])
    axes.set_xlabel("mean decrease in impurity")
    axes.set_title("Feature importance")
    return _save(figure, path)
