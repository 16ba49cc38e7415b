// test_stop.cpp — the UTF-8-safe text stream and stop-string matcher without a model: stops across token
// boundaries, held partial matches released on divergence, earliest stop wins, UTF-8 characters split
// over tokens, U+FFFD for broken bytes, flush; then the same through gpt2_sampler with a crafted vocab;
// and a randomized comparison against cutting the whole text at its first stop.
#include <string>
#include <vector>

#include "check.h"
#include "sampler/rng.h"
#include "sampler/sampler.h"
#include "sampler/text_stream.h"

using namespace gpt2;

namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

struct Run {
    std::vector<std::string> pieces;  // text() after each push
    std::string all;
    bool stopped = false;
};

Run feed(TextStream &s, const std::vector<std::string> &tokens, bool finish_at_end = true) {
    Run r;
    for (const std::string &t : tokens) {
        s.clear_text();
        r.stopped = s.push(t);
        r.pieces.push_back(s.text());
        r.all += s.text();
        if (r.stopped) return r;
    }
    if (finish_at_end) {
        s.clear_text();
        s.finish();
        r.pieces.push_back(s.text());
        r.all += s.text();
    }
    return r;
}

void test_stop_across_tokens() {
    TextStream s;
    s.add_stop("lo w");
    Run r = feed(s, {"Hel", "lo wor", "ld"});
    CHECK(r.stopped);
    CHECK_EQ(r.all, std::string("Hel"));
    CHECK_EQ(r.pieces[0], std::string("He"));  // the "l" might start "lo w": held
    CHECK_EQ(r.pieces[1], std::string("l"));
    CHECK(s.finished());
}

void test_partial_released_on_divergence() {
    TextStream s;
    s.add_stop("world");
    Run r = feed(s, {"Hello wor", "m!", " more"});
    CHECK(!r.stopped);
    CHECK_EQ(r.pieces[0], std::string("Hello "));
    CHECK_EQ(r.pieces[1], std::string("worm!"));
    CHECK_EQ(r.all, std::string("Hello worm! more"));

    // Overlapping prefix: "aaab" with stop "aab" keeps only the first "a".
    TextStream o;
    o.add_stop("aab");
    Run ro = feed(o, {"a", "a", "a", "b", "zzz"});
    CHECK(ro.stopped);
    CHECK_EQ(ro.all, std::string("a"));
}

void test_stop_at_start_and_earliest() {
    TextStream s;
    s.add_stop("Hel");
    Run r = feed(s, {"Hello"});
    CHECK(r.stopped);
    CHECK_EQ(r.all, std::string(""));

    TextStream m;
    m.add_stop("xyz");
    m.add_stop("b");
    Run rm = feed(m, {"a", "xyzb"});
    CHECK(rm.stopped);
    CHECK_EQ(rm.all, std::string("a"));  // "xyz" starts before "b"

    TextStream n;
    n.add_stop("long stop");
    n.add_stop("st");
    Run rn = feed(n, {"a long st", "op"});
    CHECK(rn.stopped);
    CHECK_EQ(rn.all, std::string("a long "));  // "st" completes first, inside the held "long st"

    TextStream q;  // a stop that arrives in one piece with text after it in the same token
    q.add_stop("\n\n");
    Run rq = feed(q, {"line one\n", "\nline two"});
    CHECK(rq.stopped);
    CHECK_EQ(rq.all, std::string("line one"));
}

void test_utf8_split() {
    TextStream s;
    Run r = feed(s, {"caf", "\xC3", "\xA9", "!"}, false);
    CHECK_EQ(r.pieces[1], std::string(""));
    CHECK_EQ(r.pieces[2], std::string("\xC3\xA9"));
    CHECK_EQ(r.all, std::string("caf\xC3\xA9!"));

    TextStream e;  // U+1F600 in four tokens
    Run re = feed(e, {"\xF0", "\x9F", "\x98", "\x80", " ok"}, false);
    CHECK_EQ(re.pieces[0] + re.pieces[1] + re.pieces[2], std::string(""));
    CHECK_EQ(re.pieces[3], std::string("\xF0\x9F\x98\x80"));
    CHECK_EQ(re.all, std::string("\xF0\x9F\x98\x80 ok"));

    TextStream j;  // a 3-byte character whose bytes arrive 2 + 1 with ASCII after
    Run rj = feed(j, {"\xE2\x82", "\xAC" "5"}, false);
    CHECK_EQ(rj.pieces[0], std::string(""));
    CHECK_EQ(rj.pieces[1], std::string("\xE2\x82\xAC" "5"));
}

void test_invalid_bytes() {
    TextStream s;  // never-valid bytes are replaced at once
    Run r = feed(s, {"a\xFF" "b", "\xC3(", "\x80"}, false);
    CHECK_EQ(r.pieces[0], "a" + kFFFD + "b");
    CHECK_EQ(r.pieces[1], kFFFD + "(");
    CHECK_EQ(r.pieces[2], kFFFD);

    TextStream t;  // an incomplete tail is held, then becomes one U+FFFD on finish
    Run rt = feed(t, {"ok\xF0\x9F\x98"});
    CHECK_EQ(rt.pieces[0], std::string("ok"));
    CHECK_EQ(rt.pieces[1], kFFFD);
    CHECK_EQ(rt.all, "ok" + kFFFD);

    TextStream u;  // an incomplete sequence broken by a non-continuation byte
    Run ru = feed(u, {"\xE2\x82", "x"}, false);
    CHECK_EQ(ru.all, kFFFD + "x");

    TextStream w;  // surrogates and overlongs are invalid
    Run rw = feed(w, {"\xED\xA0\x80", "\xC0\xAF"}, false);
    CHECK_EQ(rw.all, kFFFD + kFFFD + kFFFD + kFFFD + kFFFD);

    std::string out;
    CHECK_EQ(utf8_append_valid(out, "ab\xE2\x82", 4, false), (size_t)2);
    CHECK_EQ(out, std::string("ab"));
}

void test_flush_releases_held() {
    TextStream s;
    s.add_stop("END");
    Run r = feed(s, {"abc", "EN"}, false);
    CHECK_EQ(r.all, std::string("abc"));
    CHECK_EQ(s.pending_bytes(), (size_t)2);
    s.clear_text();
    s.finish();
    CHECK_EQ(s.text(), std::string("EN"));
    CHECK(s.finished());
    s.clear_text();
    CHECK(!s.push("more"));  // finished streams take no more text
    CHECK_EQ(s.text(), std::string(""));
}

// --- the same rules through gpt2_sampler: vocabulary of pieces, greedy over one-hot logits -----------------
std::vector<std::string> g_pieces = {"Hel", "lo wor", "ld", "\xF0\x9F", "\x98\x80", "END", "<eos>", "x"};
constexpr int32_t kEos = 6;

gpt2_sampler greedy_sampler(int32_t max_tokens) {
    gpt2_sampler_params p{};
    p.temperature = 0.0f; p.top_p = 1.0f; p.typical_p = 1.0f; p.repetition_penalty = 1.0f;
    p.max_tokens = max_tokens;
    return gpt2_sampler(p, (int32_t)g_pieces.size(), kEos,
                        [](int32_t id) -> std::string_view { return g_pieces[(size_t)id]; });
}

gpt2_sample_result step(gpt2_sampler &s, int32_t token) {
    std::vector<float> logits(g_pieces.size(), 0.0f);
    logits[(size_t)token] = 10.0f;
    gpt2_sample_result r{};
    s.sample(logits.data(), r);
    CHECK_EQ(r.token, token);
    return r;
}

void test_through_sampler() {
    {
        auto s = greedy_sampler(0);
        const char stop[] = "lo w";
        s.add_stop(stop, 4);
        auto r = step(s, 0);
        CHECK_EQ(r.finish, GPT2_FINISH_NONE);
        CHECK_EQ(s.text(), std::string("He"));
        CHECK_EQ(r.text_len, 2);
        r = step(s, 1);
        CHECK_EQ(r.finish, GPT2_FINISH_STOP);
        CHECK_EQ(s.text(), std::string("l"));
        CHECK_EQ(r.n_generated, 2);
    }
    {   // EOS releases a held partial stop and a broken UTF-8 tail
        auto s = greedy_sampler(0);
        s.add_stop("ENDX", 4);
        step(s, 3);
        CHECK_EQ(s.text(), std::string(""));
        auto r = step(s, 5);
        CHECK_EQ(s.text(), std::string(""));  // "\xF0\x9F" + "END": broken char then held stop prefix
        r = step(s, kEos);
        CHECK_EQ(r.finish, GPT2_FINISH_EOS);
        CHECK_EQ(s.text(), kFFFD + "END");
        CHECK_EQ(r.text_len, (int32_t)(kFFFD.size() + 3));
    }
    {   // emoji over two tokens; LENGTH at max_tokens emits its text
        auto s = greedy_sampler(2);
        step(s, 3);
        CHECK_EQ(s.text(), std::string(""));
        auto r = step(s, 4);
        CHECK_EQ(r.finish, GPT2_FINISH_LENGTH);
        CHECK_EQ(s.text(), std::string("\xF0\x9F\x98\x80"));
    }
    {   // flush (cancellation) releases the held text once; a retry sees the same text
        auto s = greedy_sampler(0);
        s.add_stop("ldEND", 5);
        step(s, 7);
        step(s, 2);
        CHECK_EQ(s.text(), std::string(""));  // "ld" held
        s.flush();
        CHECK_EQ(s.text(), std::string("ld"));
        s.flush();
        CHECK_EQ(s.text(), std::string("ld"));
        CHECK(s.finished());
    }
}

// Random ASCII pieces and stops: the concatenated output must equal a full rescan after every token (the
// first token that completes a stop cuts at the earliest start among the complete stops), and no
// intermediate output may contain a stop or run ahead of that answer.
void test_randomized() {
    Rng rng(2024);
    const char alphabet[] = "ab c";
    int mismatches = 0;
    for (int iter = 0; iter < 2000; ++iter) {
        TextStream s;
        std::vector<std::string> stops;
        const int n_stops = 1 + (int)(rng.next_u64() % 3);
        for (int k = 0; k < n_stops; ++k) {
            std::string st;
            const int len = 1 + (int)(rng.next_u64() % 4);
            for (int i = 0; i < len; ++i) st += alphabet[rng.next_u64() % 4];
            stops.push_back(st);
            s.add_stop(st);
        }
        std::vector<std::string> tokens;
        std::string whole;
        const int n_tok = 1 + (int)(rng.next_u64() % 8);
        for (int t = 0; t < n_tok; ++t) {
            std::string tok;
            const int len = 1 + (int)(rng.next_u64() % 3);
            for (int i = 0; i < len; ++i) tok += alphabet[rng.next_u64() % 4];
            tokens.push_back(tok);
            whole += tok;
        }
        // Reference: after each token, rescan everything so far; the first token that completes a stop
        // cuts the text at the earliest start among the stops then complete.
        std::string so_far_text;
        size_t cut = std::string::npos;
        for (const auto &tok : tokens) {
            so_far_text += tok;
            for (const auto &st : stops) cut = std::min(cut, so_far_text.find(st));
            if (cut != std::string::npos) break;
        }
        const std::string want = cut == std::string::npos ? whole : so_far_text.substr(0, cut);
        Run r = feed(s, tokens);
        bool ok = r.all == want && r.stopped == (cut != std::string::npos);
        std::string so_far;
        for (const auto &piece : r.pieces) {
            so_far += piece;
            ok = ok && want.compare(0, so_far.size(), so_far) == 0;
            for (const auto &st : stops) ok = ok && so_far.find(st) == std::string::npos;
        }
        if (!ok) ++mismatches;
    }
    CHECK_EQ(mismatches, 0);
}

// Random byte soup (valid 1-4 byte characters mixed with stray bytes) cut at random points: streamed
// output must equal the one-shot replacement of the whole, and every piece must be whole, valid UTF-8.
void test_randomized_utf8() {
    const std::string chars[] = {"a", " ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xFF", "\x80",
                                 "\xE2\x82", "\xF0\x9F"};
    Rng rng(77);
    int mismatches = 0, broken = 0;
    for (int iter = 0; iter < 2000; ++iter) {
        std::string whole;
        const int n = 1 + (int)(rng.next_u64() % 12);
        for (int i = 0; i < n; ++i) whole += chars[rng.next_u64() % 9];
        std::vector<std::string> tokens;
        for (size_t at = 0; at < whole.size();) {
            const size_t len = std::min(whole.size() - at, (size_t)(1 + rng.next_u64() % 4));
            tokens.push_back(whole.substr(at, len));
            at += len;
        }
        TextStream s;
        Run r = feed(s, tokens);
        std::string want;
        utf8_append_valid(want, whole.data(), whole.size(), true);
        if (r.all != want) ++mismatches;
        for (const auto &piece : r.pieces) {
            std::string clean;
            utf8_append_valid(clean, piece.data(), piece.size(), true);
            if (clean != piece) ++broken;
        }
    }
    CHECK_EQ(mismatches, 0);
    CHECK_EQ(broken, 0);
}

}  // namespace

int main() {
    test_stop_across_tokens();
    test_partial_released_on_divergence();
    test_stop_at_start_and_earliest();
    test_utf8_split();
    test_invalid_bytes();
    test_flush_releases_held();
    test_through_sampler();
    test_randomized();
    test_randomized_utf8();
    return check_summary("test_stop");
}
