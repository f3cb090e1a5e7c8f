"""The figure behind the seed notes: generator loss and gradient vs. the distance between
p_r = N(0, s^2) and p_g = N(theta, s^2), under minimax, non-saturating and Wasserstein objectives,
each against its optimal adversary (Goodfellow et al. 2014; Arjovsky & Bottou 2017; Arjovsky et
al. 2017). The minimax loss saturates (JS -> log 2) and its gradient vanishes as the
distributions separate; the Wasserstein distance stays linear with a constant gradient.

    ./run python -m experiments.studies.theory_gradients     # writes results/theory/objectives_vs_shift.{png,json}
"""

import argparse
import json
import os

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.theory import shifted_generator_objectives


def curves(shifts, std):
    fn = jax.jit(jax.vmap(lambda t: shifted_generator_objectives(t, std=std)))
    return {k: np.asarray(v) for k, v in fn(jnp.asarray(shifts)).items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--std", type=float, default=0.5)
    parser.add_argument("--max-shift", type=float, default=8.0)
    parser.add_argument("--out", default="results/theory")
    args = parser.parse_args(argv)
    shifts = np.linspace(0.05, args.max_shift, 160)
    c = curves(shifts, args.std)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax_loss.plot(shifts, c["minimax"], label="minimax  E[log(1 - D*(G(z)))]")
    ax_loss.plot(shifts, c["non_saturating"], label="non-saturating  -E[log D*(G(z))]")
    ax_loss.plot(shifts, c["wasserstein"], label="Wasserstein  W1 = |theta|")
    ax_loss.plot(shifts, 2 * c["js"] - 2 * np.log(2), "--", label="V(D*, G) = 2 JS - 2 log 2")
    ax_loss.axhline(0.0, color="gray", lw=0.5)
    ax_loss.set_ylim(-1.6, 8)
    ax_loss.set_xlabel("shift theta between p_r and p_g")
    ax_loss.set_title(f"generator objective (p_r = N(0, {args.std}^2), p_g = N(theta, {args.std}^2))", fontsize=8)
    ax_loss.legend(fontsize=7)
    ax_grad.semilogy(shifts, np.abs(c["minimax_grad"]) + 1e-30, label="minimax |dL/dtheta|")
    ax_grad.semilogy(shifts, np.abs(c["non_saturating_grad"]), label="non-saturating |dL/dtheta|")
    ax_grad.semilogy(shifts, np.abs(c["wasserstein_grad"]), label="Wasserstein |dL/dtheta|")
    ax_grad.set_ylim(1e-12, 1e3)
    ax_grad.set_xlabel("shift theta")
    ax_grad.set_title("generator gradient (optimal adversary held fixed)", fontsize=8)
    ax_grad.legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(args.out, exist_ok=True)
    fig.savefig(os.path.join(args.out, "objectives_vs_shift.png"), dpi=110)
    with open(os.path.join(args.out, "objectives_vs_shift.json"), "w") as f:
        json.dump({"std": args.std, "shifts": shifts.tolist(), **{k: v.tolist() for k, v in c.items()}}, f)
    for t in (0.5, 2.0, 4.0, 8.0):
        i = int(np.argmin(np.abs(shifts - t)))
        print(
            f"theta={shifts[i]:.2f}: JS={c['js'][i]:.4f} "
            f"minimax={c['minimax'][i]:.3e} (grad {c['minimax_grad'][i]:.2e}) "
            f"NS={c['non_saturating'][i]:.3f} (grad {c['non_saturating_grad'][i]:.2f}) "
            f"W1={c['wasserstein'][i]:.2f} (grad {c['wasserstein_grad'][i]:.0f})"
        )
    print(f"wrote {args.out}/objectives_vs_shift.png")


if __name__ == "__main__":
    main()
