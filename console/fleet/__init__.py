"""The fleet: hangconsole as a node-problem-detector plugin and a node_exporter textfile
source (docs/fleet.md). No textual here."""
