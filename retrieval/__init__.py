"""Knowledge-base retrieval: articles, chunk embeddings, a FAISS index and an async facade.

This package finds candidate articles and reports the evidence; deciding whether to answer
with one is the pipeline's job (`responders/`).
"""
