"""The builders of the five bundled seed recordings (console/incidents/seed-NNN.hcrec), from
the field reports in ../shared/seeds/. Development tools: they are not installed with the
package; the recordings they write are. Regenerate with  python -m tools.seeds.build"""
