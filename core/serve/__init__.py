"""Heavy jobs and batched inference, in-process or on Ray Serve (issue 17 §6).

:mod:`.jobs` names the heavy jobs (plain kwargs in, the core iterator of snapshots out),
:mod:`.client` runs them here or on the Serve endpoint in ``CNNLAB_JOBS``, :mod:`.deployments`
holds the Serve deployments (needs the ``serve`` extra: Ray), :mod:`.wire` the pickle-free
messages between them. ``cnnlab serve`` starts the deployments.
"""
