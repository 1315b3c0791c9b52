"""Multi-branch fusion (MBF) of two feature sets: the released ParSeDA's relation-query content.

From the spatially conditioned graphs of Zhang et al. (ICCV 2021), as RLIPv2 uses it:
``num_branches`` branches each project both inputs to a small width, multiply them elementwise,
apply a ReLU and project back; the branch outputs are summed and passed through a ReLU.
Here the branches are computed together: branch b owns rows ``[b * branch_dim, (b + 1) *
branch_dim)`` of ``first`` and ``second`` and the matching columns of ``merge``, so one wide
linear map stands for the branches' small ones (and ``merge``'s bias is the sum of theirs).
"""

import math

import torch
from torch import nn
from torch.nn import functional


class MultiBranchFusion(nn.Module):
    """``relu(sum_b W3_b relu((W1_b x + c1_b) * (W2_b y + c2_b)) + c3_b)``.

    RLIPv2: ``input_dim = output_dim = 256``, 16 branches of width 16.

    Args:
        input_dim: width of both inputs.
        output_dim: width of the output.
        num_branches: how many branches.
        branch_dim: width of a branch's projections.
    """

    def __init__(
        self, *, input_dim: int, output_dim: int, num_branches: int, branch_dim: int
    ) -> None:
        super().__init__()
        if min(input_dim, output_dim, num_branches, branch_dim) < 1:
            raise ValueError("MultiBranchFusion sizes must be >= 1")
        self.first = nn.Linear(input_dim, num_branches * branch_dim)
        self.second = nn.Linear(input_dim, num_branches * branch_dim)
        self.merge = nn.Linear(num_branches * branch_dim, output_dim)
        # As num_branches separate Linear(branch_dim, output_dim) layers would start.
        bound = 1 / math.sqrt(branch_dim)
        with torch.no_grad():
            self.merge.weight.uniform_(-bound, bound)
            branch_biases = torch.empty(num_branches, output_dim).uniform_(-bound, bound)
            self.merge.bias.copy_(branch_biases.sum(dim=0))

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """
        Args:
            first: (..., input_dim), e.g. the subject states (batch, num_pairs, hidden_dim).
            second: (..., input_dim), e.g. the object states.

        Returns:
            (..., output_dim), >= 0.
        """
        products = functional.relu(self.first(first) * self.second(second))
        return functional.relu(self.merge(products))
