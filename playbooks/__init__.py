# Data-only package: playbook files live here; this file lets an editable install find them.
