import pathlib, tempfile
from tests.conftest import SEEDS
from tests.fakes import FakeEmbedder
from index.build import build_index
from index.store import load_index
from index.search import IndexRetriever
from index.config import IndexConfig
e=FakeEmbedder(); out=pathlib.Path(tempfile.mkdtemp())
build_index(SEEDS, out, e, progress=False)
r=IndexRetriever(load_index(out, model=e.name, dimension=e.dimension), e, IndexConfig().search_settings)
for q in ["Which xylophone quokka ate the marmalade?", "zz qq", "Quokka xylophone", "🙂🏳️‍🌈👨‍👨‍👦", "<b>bold</b> <script>alert(\"x\")</script> &amp; &nbsp; <a href=\"javascript:x\">", "Rainbow\x00Railroad\x00 help?", "\u200b\u200d\ufeff\u0007\u001b[31m red", r"_*[]()~`>#+-=|{}.!\ *bold* __u__ ||spoiler||", "\u202eمن اعتقل الرجال في الشيشان؟ \u05e9\u05dc\u05d5\u05dd"]:
    a=r.search(q, 9); print(repr(q[:30]), a.answered, a.confidence, len(a.passages), sum(bool(p.corroborations) for p in a.passages))
for q in ["How many men were detained?", "Rainbow Railroad", "What did Novaya Gazeta report?", "Who was detained in Chechnya?", "gay men detained Chechnya prisons"]:
    a=r.search(q, 9); print(repr(q[:30]), a.answered, [len(p.corroborations) for p in a.passages])
