// AtomicFile's temporaries: hidden, marked, next to the target, gone after commit or abort; a GifWriter that an
// exception unwinds leaves nothing under the final name.
#include "image/temp_dir.hpp"

#include <xvis/image/animation.hpp>
#include <xvis/image/atomic_file.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace xvis;
using xvis::testing::TempDir;

TEST(AtomicFile, TemporaryIsHiddenMarkedAndBesideTheTarget) {
    EXPECT_EQ(AtomicFile::temp_name("out/dir/a.png", 42, 7), "out/dir/.a.png.tmp-42-7");
    EXPECT_EQ(AtomicFile::temp_name("a.png", 42, 7), ".a.png.tmp-42-7");
    TempDir dir;
    AtomicFile f(dir.file("x.png"));
    const std::string temp = f.temp_path();
    EXPECT_EQ(temp.substr(0, dir.file(".x.png.tmp-").size()), dir.file(".x.png.tmp-"));
    f.write("abc", 3);
    // Until commit() only the hidden temporary exists: a listing of outputs (names not starting with '.') is empty.
    ASSERT_EQ(dir.entries().size(), 1u);
    EXPECT_EQ(dir.entries()[0].front(), '.');
    f.commit();
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"x.png"});
    EXPECT_TRUE(f.temp_path().empty());
}

TEST(AtomicFile, LongestNamesStillGetATemporary) {
    TempDir dir;
    const std::string name(255, 'n');  // NAME_MAX: "." + name + ".tmp-..." would not fit without the cut
    {
        AtomicFile f(dir.file(name));
        f.write("x", 1);
        f.commit();
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{name});
}

TEST(AtomicFile, DestructorAndAbortRemoveTheTemporaryAndKeepTheOldFile) {
    TempDir dir;
    const std::string path = dir.file("keep.txt");
    xvis::testing::write_bytes(path, {'o', 'l', 'd'});
    {
        AtomicFile f(path);
        f.write("new", 3);
    }  // never committed
    {
        AtomicFile f(path);
        f.write("new", 3);
        f.abort();
        f.abort();  // idempotent
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"keep.txt"});
    EXPECT_EQ(xvis::testing::read_bytes(path), (std::vector<unsigned char>{'o', 'l', 'd'}));
}

// An interrupted optimization unwinds through GifGenerator's writer: the recording cut short must not appear under
// the final name (a normal destruction still closes, tests/image/animation.cpp).
TEST(GifWriter, UnwindingDiscardsTheRecording) {
    TempDir dir;
    try {
        GifWriter gif(dir.file("cut.gif"), 4, 3);
        gif.add_frame(Tensor({3, 4}, 10.0f));
        throw std::runtime_error("interrupted");
    } catch (const std::runtime_error&) {
    }
    EXPECT_TRUE(dir.entries().empty());
    // A writer made while another exception is already in flight (in a destructor) still closes normally.
    struct MakesGif {
        std::string path;
        ~MakesGif() {
            GifWriter gif(path, 4, 3);
            gif.add_frame(Tensor({3, 4}, 10.0f));
        }
    };
    try {
        MakesGif m{dir.file("during.gif")};
        throw std::runtime_error("unwinding");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"during.gif"});
}
