"""The EDGAR deal watch: SEC filings turned into deal events (client, classifier, store, poller)."""
