"""Calibration: fit the payment-timing model to a payment history and check it on unseen accounts.

Layers (each imports only those before it): ``parameters`` -> ``payment_timing`` (the model:
likelihood, CDF, common-random-number sampler) -> ``history`` (reading an export) ->
``fitted_file`` (fitted.yaml) -> ``fit`` (maximum likelihood, intervals) -> ``check`` (hold-out
comparison) -> ``crossval`` (customer-level splits) -> ``report_data`` (the calibration report's
numbers: Kaplan–Meier vs fitted settle curves, the checks) -> ``cli``. ``synthetic`` draws histories
from known parameters. ``kpis`` (calibration to aggregate KPIs by simulation through
:func:`simlib.run.experiment.run_experiment`) stands beside them and uses none of them.
Formulas: ``docs/calibration.md``.
"""
from simlib.calibration.check import SettleDaySimulator, check, simulate_with_model
from simlib.calibration.crossval import cross_validated_check, customer_split, customer_splits
from simlib.calibration.fit import FitError, FitResult, fit
from simlib.calibration.fitted_file import FittedFileError, FittedTiming, load_fitted, write_fitted
from simlib.calibration.history import History, HistoryError, HistoryMapping, load_mapping, read_history
from simlib.calibration.kpis import KpiCalibrationError, KpiFit, calibrate_kpis
from simlib.calibration.parameters import SPECS, PaymentTiming
from simlib.calibration.payment_timing import (Invoices, cdf, density, draw_latent, latent_generator,
                                               log_likelihood, settle_days, survival)

__all__ = ["SettleDaySimulator", "check", "simulate_with_model", "cross_validated_check", "customer_split",
           "customer_splits", "FitError", "FitResult", "fit", "FittedFileError", "FittedTiming", "load_fitted",
           "write_fitted", "History", "HistoryError", "HistoryMapping", "load_mapping", "read_history", "SPECS",
           "PaymentTiming", "Invoices", "cdf", "density", "draw_latent", "latent_generator", "log_likelihood",
           "settle_days", "survival", "KpiCalibrationError", "KpiFit", "calibrate_kpis"]
