"""The symbols blocks share, so terms from different blocks combine into one free entropy.

Overlaps: q = w^a.w^b/N between two students (replicas), R = w.w*/N between a student and the
teacher; their conjugates qhat, Rhat (priors written as Legendre transforms). The replica field
t and the per-replica field z are the Gaussian integration variables. sympy symbols are equal
when their names and assumptions are, so a model file may also create these itself.
"""
import sympy as sp

q = sp.Symbol("q", positive=True)
R = sp.Symbol("R", real=True)
qhat = sp.Symbol("qhat", positive=True)
Rhat = sp.Symbol("Rhat", real=True)
alpha = sp.Symbol("alpha", positive=True)
t, z = sp.symbols("t z", real=True)
