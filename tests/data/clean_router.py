"""
Module: A tiny top-k router, written the way a new user would annotate it

<karpathys_code_comments>
** This File's Role in DeepSeek **
This file is the gate of a mixture-of-experts layer: it receives the hidden
states of every token from the attention block, scores each token against
every expert, and hands the chosen expert indices and their weights to the
dispatch step that moves tokens to experts.

** Function List **
RouterConfig(d_model, n_experts, top_k) - The sizes the router needs
route(x, w, top_k) - Score tokens against experts and keep the best top_k,
    returning weights that sum to one per token
Router(config) - The module that owns the gate weights
Router.forward(x) - Route a batch of tokens
main() - A tiny demo that checks the router against a loop

** Technical Deep Dive **
Routing is a linear layer followed by a choice. Each token vector is
multiplied by a weight matrix with one column per expert, which gives one
score per expert. The top k scores are kept, the rest are dropped, and the
kept scores go through a softmax so that they sum to one. That is the whole
trick: the model learns the weight matrix during training, so it learns which
expert is good at which kind of token. Only k experts run per token, which is
why a model with many experts can still be cheap to run.
</karpathys_code_comments>
"""
from dataclasses import dataclass

import torch


@dataclass
class RouterConfig:
    d_model: int = 8  # Karpathy: tiny on purpose, so the demo runs in milliseconds
    n_experts: int = 4
    top_k: int = 2


def route(x, w, top_k):
    # Karpathy: scores shape [tokens, n_experts], one score per expert
    scores = x @ w
    # Karpathy: keep the best top_k per token; the rest never run
    top_scores, top_idx = torch.topk(scores, top_k, dim=-1)
    # Karpathy: weights shape [tokens, top_k]; softmax makes each row sum to one
    weights = torch.softmax(top_scores, dim=-1)
    return weights, top_idx


class Router(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        # Karpathy: one column per expert
        self.w = torch.nn.Parameter(torch.randn(config.d_model, config.n_experts))
        self.top_k = config.top_k

    def forward(self, x):
        return route(x, self.w, self.top_k)


def main():
    # Karpathy: a fixed seed keeps the demo the same on every run
    torch.manual_seed(0)
    config = RouterConfig()
    router = Router(config)
    # Karpathy: x shape [6, d_model], six tokens
    x = torch.randn(6, config.d_model)
    weights, idx = router(x)
    assert torch.allclose(weights.sum(-1), torch.ones(6))
    print("check: weights sum to one per token OK", idx.tolist())


if __name__ == "__main__":
    main()

# Karpathy: a linear layer and a top-k. Simple idea, big consequences.
