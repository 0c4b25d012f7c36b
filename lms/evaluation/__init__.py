"""Feature: evaluations of modules and in-person sessions (questionnaire, anonymous answers,
results for trainers). `service.py` holds the logic, `views.py` the learner's and the
trainer's pages."""
