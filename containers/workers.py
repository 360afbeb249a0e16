from asgiref.sync import sync_to_async
from django.db import connections


async def run_blocking(function, *args, **kwargs):
    """Run a blocking LXD or SSH call in a worker thread, off the event loop.

    Unlike the default sync_to_async, calls run in parallel instead of queuing
    on one shared thread, so a slow container never delays other requests.
    The worker thread's database connections are closed afterwards: no
    request cycle closes them in those threads.
    """

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return await sync_to_async(call, thread_sensitive=False)()
