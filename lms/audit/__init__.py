"""The audit log: who changed what, written by the services (`service.record`) and
read on its pages."""
