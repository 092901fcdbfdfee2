"""The network edge every outbound connection shares: which destinations may be
reached (``guard``), an httpx transport that connects only to checked addresses
(``transport``), how URLs are shown without secrets (``urls``) and how a server's
Retry-After is read (``retry_after``)."""
