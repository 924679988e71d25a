"""Live delivery: how events reach open pages, for any app.

- hub.py: each web process's fan-out of published frames to its sockets, by topic
  (one Redis subscription a topic a process), with conflation, pacing, slow-socket
  queues and resync;
- channel_layer.py: the Channels layer that outlives a Redis restart;
- consumers.py: the user socket every page opens (`ws/me/`) and the group refresher
  any long-lived consumer uses;
- users.py: what apps tell people's open pages (notices, announcements, the end of a
  session), and the channel-layer groups that carry it;
- metrics.py: the live sockets' and frames' metrics.

No app is imported here: apps bring their topics and frames (auction's lot socket,
auction/consumers.py, joins the hub with its lot topics).
"""
