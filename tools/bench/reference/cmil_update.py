#!/usr/bin/python3
"""A plain PyTorch reference of one CMIL update, timed like bench_update.

The same networks, sizes and losses as the C++ plugins (cmil optimizer,
rssm_ensemble, conv/mlp encoders, discriminator), written as a researcher
would write them in Python: nn.Module classes, eager autograd, no TorchScript.
It prints the JSON lines of tools/bench/bench_update.cc with "impl": "python".

  /usr/bin/python3 tools/bench/reference/cmil_update.py --preset small|paper|state
      [--updates N] [--warmup N] [--threads N] [--losses]

See README.md in this folder for what is identical to the C++ and what is not.
"""

import argparse
import copy
import ctypes
import json
import math
import os
import resource
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

ACTION_SIZE = 9  # the Kitchen's joint-velocity actions
STATE_SIZE = 59  # the Kitchen's `state` vector (plugins/environments/kitchen)
IMAGE_SIZE = 64

# the bench presets: experiments/kitchen/cmil*.toml with presets/{small,paper}.toml
SMALL = dict(
    observation='pixels',
    depth=16,
    mlp_hidden=[256, 256],
    deter=128,
    stoch=32,
    hidden=128,
    members=5,
    disc_hidden=[128, 128],
    actor_hidden=[128, 128],
    critic_hidden=[128, 128],
    batch=(16, 24),
)
PRESETS = {
    'small': SMALL,
    'paper': dict(
        SMALL,
        depth=48,
        deter=400,
        stoch=360,
        hidden=400,
        members=10,
        disc_hidden=[200, 200],
        actor_hidden=[400] * 4,
        critic_hidden=[400] * 4,
        batch=(32, 50),
    ),
    'state': dict(SMALL, observation='state'),
}

# the method's constants (plugin defaults = the authors' values, spec 2.2-2.7)
HORIZON = 15
DISCOUNT = 0.99
LAMBDA = 0.95
UNCERTAINTY_PENALTY = 10.0
ENTROPY_WEIGHT = 1e-4
BC_WEIGHT = 10.0
INSTANCE_NOISE = 2.5
TARGET_UPDATE_EVERY = 100
FREE_NATS = 1.0
KL_BALANCE = 0.8
MIN_STD = 0.1
ACTION_EPS = 1e-6
MIN_MASS = 1e-8

# the metrics --losses prints
LOGGED = ('loss', 'nll', 'wm_kl', 'wm_recon_pixels', 'wm_recon_state')


def mlp(sizes, out=None):
  """Linear + ELU per hidden size; a final linear layer when `out` is set."""
  layers = []
  for a, b in zip(sizes[:-1], sizes[1:]):
    layers += [nn.Linear(a, b), nn.ELU()]
  if out is not None:
    layers.append(nn.Linear(sizes[-1], out))
  return nn.Sequential(*layers)


def sigmoid_std(raw):
  return 2.0 * torch.sigmoid(raw / 2.0) + MIN_STD


# ----- optimiser ----- #


class Optim:
  """Adam with eps, global-norm clipping and decoupled weight decay (1 - wd).

  backward() only fills the gradients of its own parameters, so several
  optimisers can take theirs from one graph before any of them steps.
  """

  def __init__(self, params, lr=3e-4, eps=1e-5, clip=100.0, wd=1e-6):
    self.params = list(params)
    self.clip, self.wd = clip, wd
    self.adam = torch.optim.Adam(self.params, lr=lr, eps=eps)

  def backward(self, loss, retain_graph=False):
    loss.backward(inputs=self.params, retain_graph=retain_graph)

  def apply(self):
    norm = nn.utils.clip_grad_norm_(self.params, self.clip)
    self.adam.step()
    with torch.no_grad():
      for p in self.params:
        if p.grad is not None:
          p.mul_(1.0 - self.wd)
    self.adam.zero_grad(set_to_none=True)
    return norm.item()

  def step(self, loss):
    self.backward(loss)
    return self.apply()


# ----- encoders ----- #


class ConvEncoder(nn.Module):
  """The paper's CNN: 4 valid convs k4 s2 and a transposed-conv decoder."""

  key = 'pixels'

  def __init__(self, depth, feature_size):
    super().__init__()
    d = depth
    self.depth = d
    self.encoder = nn.Sequential(
        nn.Conv2d(3, d, 4, 2), nn.ELU(),
        nn.Conv2d(d, 2 * d, 4, 2), nn.ELU(),
        nn.Conv2d(2 * d, 4 * d, 4, 2), nn.ELU(),
        nn.Conv2d(4 * d, 8 * d, 4, 2), nn.ELU(),
        nn.Flatten(),
    )  # fmt: skip
    self.embedding_size = 32 * d  # 8d x 2 x 2
    self.dense = nn.Linear(feature_size, 32 * d)
    self.decoder = nn.Sequential(
        nn.ConvTranspose2d(32 * d, 4 * d, 5, 2), nn.ELU(),
        nn.ConvTranspose2d(4 * d, 2 * d, 5, 2), nn.ELU(),
        nn.ConvTranspose2d(2 * d, d, 6, 2), nn.ELU(),
        nn.ConvTranspose2d(d, 3, 6, 2),
    )  # fmt: skip

  @staticmethod
  def preprocess(obs):
    return obs['pixels'].float() / 255.0 - 0.5  # [..., H, W, 3]

  def encode(self, obs):
    x = self.preprocess(obs)
    lead = x.shape[:-3]
    x = x.reshape(-1, *x.shape[-3:]).permute(0, 3, 1, 2)
    return self.encoder(x).reshape(*lead, -1)

  def reconstruction_loss(self, features, obs):
    """0.5 * squared error summed over H, W, C (unit-variance NLL) -> [B, T]."""
    lead = features.shape[:-1]
    x = self.dense(features.reshape(-1, features.shape[-1]))
    images = self.decoder(x.reshape(-1, 32 * self.depth, 1, 1))
    images = images.permute(0, 2, 3, 1).reshape(*lead, IMAGE_SIZE, IMAGE_SIZE, 3)
    return {'pixels': 0.5 * (images - self.preprocess(obs)).square().sum((-3, -2, -1))}


class MlpEncoder(nn.Module):
  """The state-vector encoder: an ELU MLP and a mirrored MLP decoder."""

  key = 'state'

  def __init__(self, size, hidden, feature_size):
    super().__init__()
    self.encoder = mlp([size] + hidden)
    self.embedding_size = hidden[-1]
    self.decoder = mlp([feature_size] + hidden, out=size)

  def encode(self, obs):
    return self.encoder(obs['state'])

  def reconstruction_loss(self, features, obs):
    return {'state': 0.5 * (self.decoder(features) - obs['state']).square().sum(-1)}


# ----- dynamics: the ensemble RSSM ----- #


class LayerNormGRUCell(nn.Module):
  """DreamerV2's GRU: one linear over [x, h], layer norm, update bias -1."""

  def __init__(self, input_size, size):
    super().__init__()
    self.linear = nn.Linear(input_size + size, 3 * size)
    self.norm = nn.LayerNorm(3 * size, eps=1e-3)

  def forward(self, x, h):
    parts = self.norm(self.linear(torch.cat([x, h], -1)))
    reset, cand, update = parts.chunk(3, -1)
    reset = torch.sigmoid(reset)
    cand = torch.tanh(reset * cand)
    update = torch.sigmoid(update - 1.0)
    return update * cand + (1 - update) * h


class EnsembleLinear(nn.Module):
  """K linear layers as one weight [K, in, out] and bias [K, out]."""

  def __init__(self, members, size_in, size_out):
    super().__init__()
    bound = 1.0 / math.sqrt(size_in)
    self.weight = nn.Parameter(torch.empty(members, size_in, size_out).uniform_(-bound, bound))
    self.bias = nn.Parameter(torch.empty(members, size_out).uniform_(-bound, bound))

  def forward(self, x, k):
    return x @ self.weight[k] + self.bias[k]


class RSSM(nn.Module):
  """CMIL's RSSM: shared input layer, GRU and posterior; K prior heads."""

  def __init__(self, embed, action, stoch, deter, hidden, members):
    super().__init__()
    self.stoch, self.deter, self.members = stoch, deter, members
    self.img_in = nn.Linear(stoch + action, hidden)
    self.gru = LayerNormGRUCell(hidden, deter)
    self.prior_hidden = EnsembleLinear(members, deter, hidden)
    self.prior_out = EnsembleLinear(members, hidden, 2 * stoch)
    self.post_hidden = nn.Linear(deter + embed, hidden)
    self.post_out = nn.Linear(hidden, 2 * stoch)

  def initial(self, batch):
    zeros = torch.zeros(batch, self.stoch)
    return dict(deter=torch.zeros(batch, self.deter), stoch=zeros, mean=zeros, std=zeros)

  @staticmethod
  def features(state):
    return torch.cat([state['stoch'], state['deter']], -1)

  def recur(self, state, action):
    u = F.elu(self.img_in(torch.cat([state['stoch'], action], -1)))
    return self.gru(u, state['deter'])

  def prior(self, deter, k):
    raw = self.prior_out(F.elu(self.prior_hidden(deter, k)), k)
    mean, std = raw.chunk(2, -1)
    std = sigmoid_std(std)
    return dict(deter=deter, stoch=mean + std * torch.randn_like(mean), mean=mean, std=std)

  def obs_step(self, prev, action, embed, is_first):
    # reset where an episode starts, one recurrent step, then posterior and prior
    keep = (~is_first).float().unsqueeze(-1)
    prev = dict(deter=prev['deter'] * keep, stoch=prev['stoch'] * keep)
    deter = self.recur(prev, action * keep)
    k = int(torch.randint(self.members, ()))
    x = F.elu(self.post_hidden(torch.cat([deter, embed], -1)))
    mean, std = self.post_out(x).chunk(2, -1)
    std = sigmoid_std(std)
    post = dict(deter=deter, stoch=mean + std * torch.randn_like(mean), mean=mean, std=std)
    return post, self.prior(deter, k)

  def observe(self, embed, action, is_first):
    """Filters [B, T] sequences -> posterior and prior dicts of [B, T, ...]."""
    state = self.initial(action.shape[0])
    posts, priors = [], []
    for t in range(action.shape[1]):
      state, prior = self.obs_step(state, action[:, t], embed[:, t], is_first[:, t])
      posts.append(state)
      priors.append(prior)
    stack = lambda states: {k: torch.stack([s[k] for s in states], 1) for k in states[0]}
    return stack(posts), stack(priors)

  def prior_means(self, deter):
    """Every member's hidden [K, N, H] and prior mean [K, N, S] (no std half)."""
    s, k = self.stoch, self.members
    w1, b1 = self.prior_hidden.weight, self.prior_hidden.bias
    w2, b2 = self.prior_out.weight, self.prior_out.bias
    hidden = F.elu(torch.baddbmm(b1.unsqueeze(1), deter.expand(k, *deter.shape), w1))
    return hidden, torch.baddbmm(b2[:, None, :s], hidden, w2[:, :, :s])

  def disagreement(self, deter):
    """Std over members of their prior means, averaged over S -> [N]."""
    return self.prior_means(deter)[1].std(0, unbiased=False).mean(-1)

  def img_step(self, prev, action):
    """One prior step from a random member, with the ensemble's disagreement."""
    deter = self.recur(prev, action)
    hidden, means = self.prior_means(deter)
    k, s = int(torch.randint(self.members, ())), self.stoch
    std = sigmoid_std(hidden[k] @ self.prior_out.weight[k, :, s:] + self.prior_out.bias[k, s:])
    mean = means[k]
    return dict(
        deter=deter,
        stoch=mean + std * torch.randn_like(mean),
        mean=mean,
        std=std,
        uncertainty=means.std(0, unbiased=False).mean(-1),
    )

  def kl_loss(self, post, prior):
    """KL balancing 0.8 with 1 free nat on each term's batch mean."""
    kl = lambda q, p: torch.distributions.kl_divergence(
        torch.distributions.Normal(q[0], q[1]), torch.distributions.Normal(p[0], p[1])
    ).sum(-1)
    q, p = (post['mean'], post['std']), (prior['mean'], prior['std'])
    sg = lambda d: (d[0].detach(), d[1].detach())
    lhs, rhs = kl(q, sg(p)), kl(sg(q), p)
    loss = (1 - KL_BALANCE) * lhs.mean().clamp(min=FREE_NATS)
    loss = loss + KL_BALANCE * rhs.mean().clamp(min=FREE_NATS)
    return loss, lhs.detach()


class WorldModel:
  """Encoder + RSSM trained together by one optimiser."""

  def __init__(self, encoder, rssm):
    self.encoder, self.rssm = encoder, rssm
    self.opt = Optim([*encoder.parameters(), *rssm.parameters()])

  def train(self, batch, metrics):
    obs, action, is_first = batch['obs'], batch['action'], batch['is_first']
    embed = self.encoder.encode(obs)
    post, prior = self.rssm.observe(embed, action, is_first)
    features = self.rssm.features(post)
    loss = 0
    for key, nll in self.encoder.reconstruction_loss(features, obs).items():
      mean = nll.mean()
      loss = loss + mean
      metrics['wm_recon_' + key] = mean.item()
    kl_loss, kl = self.rssm.kl_loss(post, prior)
    loss = loss + kl_loss
    metrics['wm_grad_norm'] = self.opt.step(loss)
    with torch.no_grad():
      entropy = lambda std: (std.log() + 0.5 * math.log(2 * math.pi * math.e)).sum(-1)
      metrics['wm_loss'] = loss.item()
      metrics['wm_kl'] = kl.mean().item()
      metrics['wm_kl_loss'] = kl_loss.item()
      metrics['wm_prior_entropy'] = entropy(prior['std']).mean().item()
      metrics['wm_posterior_entropy'] = entropy(post['std']).mean().item()
      post = {k: v.detach() for k, v in post.items()}
      self.disagreement_metrics(post, metrics)
    return post, features.detach()

  def disagreement_metrics(self, post, metrics):
    # the ensemble's disagreement on the data and after 5 random-action steps
    rssm = self.rssm
    metrics['wm_disagreement_data'] = rssm.disagreement(post['deter'].flatten(0, 1)).mean().item()
    state = {k: v.flatten(0, 1)[:64] for k, v in post.items()}
    for _ in range(5):
      state = rssm.img_step(state, torch.rand(state['deter'].shape[0], ACTION_SIZE) * 2 - 1)
    metrics['wm_disagreement_random'] = rssm.disagreement(state['deter']).mean().item()

  @torch.no_grad()
  def observe(self, batch):
    post, _ = self.rssm.observe(
        self.encoder.encode(batch['obs']), batch['action'], batch['is_first']
    )
    return self.rssm.features(post)


# ----- actor, critics, discriminator ----- #


class TruncNormal:
  """N(mean, std) truncated to [-1, 1], summed over the action dim."""

  def __init__(self, mean, std):
    self.mean, self.std = mean, std
    cdf = lambda x: 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    self.alpha, self.beta = (-1 - mean) / std, (1 - mean) / std
    self.cdf_alpha = cdf(self.alpha)
    self.mass = (cdf(self.beta) - self.cdf_alpha).clamp(min=MIN_MASS)

  def rsample(self):
    # inverse CDF, clipped to +-(1 - eps) with a straight-through gradient
    u = torch.rand_like(self.mean)
    p = (self.cdf_alpha + u * self.mass).clamp(MIN_MASS, 1 - MIN_MASS)
    x = self.mean + self.std * math.sqrt(2) * torch.erfinv(2 * p - 1)
    return x + (x.clamp(-1 + ACTION_EPS, 1 - ACTION_EPS) - x).detach()

  def log_prob(self, action):
    a = action.clamp(-1 + ACTION_EPS, 1 - ACTION_EPS)
    z = (a - self.mean) / self.std
    log_pdf = -0.5 * z.square() - self.std.log() - 0.5 * math.log(2 * math.pi)
    return (log_pdf - self.mass.log()).sum(-1)

  def entropy(self):
    pdf = lambda x: torch.exp(-0.5 * x.square()) / math.sqrt(2 * math.pi)
    edge = self.alpha * pdf(self.alpha) - self.beta * pdf(self.beta)
    log_z = 0.5 * math.log(2 * math.pi * math.e) + self.std.log() + self.mass.log()
    return (log_z + edge / (2 * self.mass)).sum(-1)


class Actor(nn.Module):
  def __init__(self, features, hidden):
    super().__init__()
    self.net = mlp([features] + hidden, out=2 * ACTION_SIZE)

  def forward(self, x):
    mean, std = self.net(x).chunk(2, -1)
    return TruncNormal(torch.tanh(mean), sigmoid_std(std))


class Critic(nn.Module):
  def __init__(self, features, hidden):
    super().__init__()
    self.net = mlp([features + ACTION_SIZE] + hidden, out=1)

  def forward(self, x, a):
    return self.net(torch.cat([x, a], -1)).squeeze(-1)


class Discriminator(nn.Module):
  def __init__(self, features, hidden):
    super().__init__()
    self.net = mlp([features + ACTION_SIZE] + hidden, out=1)

  def forward(self, x, a):
    return self.net(torch.cat([x, a], -1)).squeeze(-1)

  def loss(self, expert_x, expert_a, policy_x, policy_a):
    """BCE with instance noise, one forward over expert then policy rows."""
    expert = torch.cat([expert_x, expert_a], -1)
    policy = torch.cat([policy_x, policy_a], -1)
    rows = torch.cat([expert, policy.flatten(0, -2)])
    logits = self.net(rows + INSTANCE_NOISE * torch.randn_like(rows)).squeeze(-1)
    expert_logits, policy_logits = logits[: len(expert)], logits[len(expert) :]
    loss = -F.logsigmoid(expert_logits).mean() - F.logsigmoid(-policy_logits).mean()
    reward = torch.sigmoid(policy_logits).reshape(policy.shape[:-1])
    metrics = {
        'discriminator/loss': loss.item(),
        'discriminator/expert_accuracy': (expert_logits > 0).float().mean().item(),
        'discriminator/policy_accuracy': (policy_logits < 0).float().mean().item(),
        'discriminator/expert_reward_mean': torch.sigmoid(expert_logits).mean().item(),
        'discriminator/policy_reward_mean': reward.mean().item(),
    }
    return loss, reward, metrics


def lambda_return(reward, value, bootstrap):
  """G_i = r_i + gamma ((1 - lambda) v_{i+1} + lambda G_{i+1}); [L, N]."""
  returns, last = [], bootstrap
  for i in reversed(range(len(reward))):
    next_value = value[i + 1] if i + 1 < len(reward) else bootstrap
    last = reward[i] + DISCOUNT * ((1 - LAMBDA) * next_value + LAMBDA * last)
    returns.append(last)
  return torch.stack(returns[::-1])


# ----- the agent ----- #


class CMIL:
  def __init__(self, encoder, rssm, config):
    self.world_model = WorldModel(encoder, rssm)
    self.rssm = rssm
    features = rssm.stoch + rssm.deter
    self.actor = Actor(features, config['actor_hidden'])
    self.critics = nn.ModuleList([Critic(features, config['critic_hidden']) for _ in range(2)])
    self.targets = copy.deepcopy(self.critics).requires_grad_(False)
    self.disc = Discriminator(features, config['disc_hidden'])
    self.actor_opt = Optim(self.actor.parameters())
    self.critic_opt = Optim(self.critics.parameters())
    self.disc_opt = Optim(self.disc.parameters())
    self.updates = 0

  def imagine(self, start):
    """H steps from [N] start states; index 0 is the start -> [H + 1, N, ...]."""
    state = start
    features, actions, entropy, uncertainty = [], [], [], []
    for i in range(HORIZON + 1):
      x = self.rssm.features(state)
      policy = self.actor(x.detach())
      action = policy.rsample()
      features.append(x)
      actions.append(action)
      entropy.append(policy.entropy())
      uncertainty.append(state['uncertainty'] if i > 0 else torch.zeros(x.shape[0]))
      if i < HORIZON:
        state = self.rssm.img_step(state, action)
    return [torch.stack(t) for t in (features, actions, entropy, uncertainty)]

  def update(self, replay, expert):
    metrics = {}
    h = HORIZON
    # 1. the world model, then the expert posteriors and pairs (x_t, a_{t+1})
    post, features = self.world_model.train(replay, metrics)
    expert_features = self.world_model.observe(expert)
    valid = ~expert['is_first'][:, 1:]
    expert_x = expert_features[:, :-1][valid]
    expert_a = expert['action'][:, 1:][valid]

    # 2. imagination from every replay posterior
    start = {k: v.flatten(0, 1) for k, v in post.items()}
    feat, act, entropy, uncertainty = self.imagine(start)

    # 3. discriminator and the conservative reward
    disc_loss, disc_reward, disc_metrics = self.disc.loss(expert_x, expert_a, feat[:h], act[:h])
    reward = disc_reward - UNCERTAINTY_PENALTY * uncertainty[1:]

    # 4. actor: Q_min / lambda-return mix, entropy, BC on the expert pairs
    q_min = torch.min(self.critics[0](feat, act), self.critics[1](feat, act))
    returns = lambda_return(reward, q_min[:h], q_min[h])
    weights = DISCOUNT ** torch.arange(h, dtype=torch.float32).unsqueeze(1)
    objective = (1 - LAMBDA) * q_min[:h] + LAMBDA * returns + ENTROPY_WEIGHT * entropy[:h]
    bc_nll = -self.actor(expert_x).log_prob(expert_a).mean()
    actor_loss = -(weights * objective).mean() + BC_WEIGHT * bc_nll

    # 5. critics: imagined lambda-returns of one random target critic ...
    feat, act = feat.detach(), act.detach()
    with torch.no_grad():
      target_q = self.targets[int(torch.randint(2, ()))](feat, act)
      target_return = lambda_return(reward.detach(), target_q[:h], target_q[h])
    model_loss = 0
    for critic in self.critics:
      q = critic(feat[:h], act[:h])
      model_loss = model_loss + (weights * 0.5 * (q - target_return).square()).mean()
    # ... and real transitions with a value-expansion target, t = 0 .. T - 3
    b, t = replay['action'].shape[:2]
    pairs = t - 2
    x, a = features[:, :pairs], replay['action'][:, 1 : pairs + 1]
    mask = (~replay['is_first'][:, 1 : pairs + 1]).float()
    with torch.no_grad():
      reward_data = torch.sigmoid(self.disc(x, a))
      next_q = target_q[0].reshape(b, t)[:, 1 : pairs + 1]
      next_return = target_return[0].reshape(b, t)[:, 1 : pairs + 1]
      target = reward_data + DISCOUNT * ((1 - LAMBDA) * next_q + LAMBDA * next_return)
    real_loss = 0
    for critic in self.critics:
      error = 0.5 * (critic(x, a) - target).square()
      real_loss = real_loss + (error * mask).sum() / mask.sum().clamp(min=1)
    critic_loss = model_loss + real_loss

    # 6. all gradients from the one graph, then the steps
    self.disc_opt.backward(disc_loss, retain_graph=True)
    self.actor_opt.backward(actor_loss)
    self.critic_opt.backward(critic_loss)
    metrics['cmil_discriminator_grad_norm'] = self.disc_opt.apply()
    metrics['cmil_actor_grad_norm'] = self.actor_opt.apply()
    metrics['cmil_critic_grad_norm'] = self.critic_opt.apply()
    self.updates += 1
    if self.updates % TARGET_UPDATE_EVERY == 0:
      self.targets.load_state_dict(self.critics.state_dict())

    metrics.update(disc_metrics)
    metrics['cmil_actor_loss'] = actor_loss.item()
    metrics['cmil_bc_nll'] = bc_nll.item()
    metrics['cmil_critic_model_loss'] = model_loss.item()
    metrics['cmil_critic_real_loss'] = real_loss.item()
    metrics['cmil_reward'] = reward.mean().item()
    metrics['cmil_discriminator_reward'] = disc_reward.mean().item()
    metrics['cmil_uncertainty'] = uncertainty[1:].mean().item()
    metrics['cmil_q'] = q_min.mean().item()
    metrics['cmil_return'] = returns.mean().item()
    metrics['cmil_policy_entropy'] = entropy.mean().item()
    return metrics


# ----- the benchmark ----- #


def random_batch(observation, b, t):
  """Random data of the experiment's shapes, as bench_update's RandomBatch."""
  if observation == 'pixels':
    obs = {'pixels': torch.randint(0, 256, (b, t, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=torch.uint8)}
  else:
    obs = {'state': torch.randn(b, t, STATE_SIZE)}
  action = torch.rand(b, t, ACTION_SIZE) * 2 - 1
  action[:, 0] = 0
  is_first = torch.zeros(b, t, dtype=torch.bool)
  is_first[:, 0] = True
  return dict(obs=obs, action=action, is_first=is_first)


def use_fast_blas_kernels():
  """As engine/run/blas_kernels.cc: re-exec with OPENBLAS_CORETYPE set when
  OpenBLAS fell back to its SSE3 (Prescott) kernels on an AVX2/AVX-512 CPU."""
  if 'OPENBLAS_CORETYPE' in os.environ or 'IMITATE_KEEP_BLAS_KERNELS' in os.environ:
    return
  try:
    core_name = ctypes.CDLL('libblas.so.3').openblas_get_corename
  except (OSError, AttributeError):
    return
  core_name.restype = ctypes.c_char_p
  if (core_name() or b'').lower() != b'prescott':
    return
  with open('/proc/cpuinfo') as f:
    flags = next((line.split() for line in f if line.startswith('flags')), [])
  better = 'SkylakeX' if 'avx512f' in flags else 'Haswell' if 'avx2' in flags else None
  if better:
    os.environ['OPENBLAS_CORETYPE'] = better
    os.execv(sys.executable, [sys.executable] + sys.argv)


def seconds_per_update(update, warmup, updates):
  for _ in range(warmup):
    update()
  start = time.perf_counter()
  for _ in range(updates):
    update()
  return (time.perf_counter() - start) / updates


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--preset', default='small', choices=sorted(PRESETS))
  parser.add_argument('--updates', type=int, default=10, help='timed updates')
  parser.add_argument('--warmup', type=int, default=2, help='untimed updates first')
  parser.add_argument('--threads', type=int, default=0, help="torch threads (0: the experiment's)")
  parser.add_argument('--losses', action='store_true', help='losses of every update to stderr')
  args = parser.parse_args()
  use_fast_blas_kernels()

  config = PRESETS[args.preset]
  torch.set_num_threads(args.threads if args.threads > 0 else 2)  # experiments/kitchen/base.toml
  torch.manual_seed(0)
  # no argument checks in the distributions (the C++ has none either)
  torch.distributions.Distribution.set_default_validate_args(False)
  features = config['stoch'] + config['deter']
  if config['observation'] == 'pixels':
    encoder = ConvEncoder(config['depth'], features)
  else:
    encoder = MlpEncoder(STATE_SIZE, config['mlp_hidden'], features)
  rssm = RSSM(
      encoder.embedding_size,
      ACTION_SIZE,
      config['stoch'],
      config['deter'],
      config['hidden'],
      config['members'],
  )
  agent = CMIL(encoder, rssm, config)
  model_only = WorldModel(encoder, rssm)  # bench_update's `world_model` optimizer

  b, t = config['batch']
  replay = random_batch(config['observation'], b, t)
  expert = random_batch(config['observation'], b, t)

  def run(part, update):
    def step():
      metrics = update()
      if args.losses:
        losses = {k: round(v, 5) for k, v in metrics.items() if k.endswith(LOGGED)}
        print(json.dumps(dict(part=part, **losses)), file=sys.stderr, flush=True)

    return seconds_per_update(step, args.warmup, args.updates)

  def line(part, seconds):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(
        f'{{"preset": "{args.preset}", "part": "{part}", "seconds_per_update": {seconds:.5f}, '
        f'"peak_rss_mb": {peak:.1f}, "batch": [{b}, {t}], "device": "cpu", '
        f'"threads": {torch.get_num_threads()}, "impl": "python"}}',
        flush=True,
    )

  def model_update():
    metrics = {}
    model_only.train(replay, metrics)
    return metrics

  model = run('world_model', model_update)
  line('world_model', model)
  full = run('full', lambda: agent.update(replay, expert))
  line('behaviour', full - model)
  line('full', full)


if __name__ == '__main__':
  main()
