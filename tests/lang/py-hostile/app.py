"""Each page breaks one rule of the sandbox; `/fine` keeps them all."""

from wit_world import exports
from wit_world.imports import notify
from wit_world.imports import portico_plugin_types_0_1_0 as v1
from wit_world.imports import portico_plugin_types_0_2_0 as v2

SECRET = "secret-internal-state"


class Module(exports.Module):
    def describe(self):
        return v1.ModuleInfo(id="py-hostile", version="0.1.0", name="Python misbehaving")

    def render(self, ctx, page):
        what = dict(page.route.params).get("what")
        if what == "loop":
            while True:
                pass
        if what == "memory":
            hoard = []
            while True:
                hoard.append(bytearray(8 << 20))
        if what == "raise":
            raise RuntimeError(f"{SECRET}: the module gave up")
        if what == "notify":
            # `notify` is not among the manifest's capabilities.
            notify.send(notify.Recipient_Email("someone@example.org"), "x", "{}")
        return v2.View(title="Fine", blocks=[v2.Block_Text("All is well.")])

    def handle(self, ctx, req):
        raise NotImplementedError

    def submit(self, ctx, action):
        raise NotImplementedError

    def run_job(self, ctx, job):
        pass

    def on_event(self, ctx, event):
        pass

    def migrate(self, ctx, from_version):
        pass
