//! `bench stacks`: how deep a running server's thread stacks have ever been.
//!
//! A thread keeps every stack page it has touched, so for a server with a
//! thread per client the deepest point each thread ever reached is memory per
//! client (`docs/architecture.md`, "Stack depth"). Fresh stack pages are
//! zero, so the lowest non-zero byte of a stack is its high-water mark. This
//! reads every anonymous read-write mapping of exactly the given size (the
//! server's client thread stacks) from `/proc/PID/mem`, which needs the right
//! to trace the process (root, or the same user with ptrace allowed), and
//! counts how many stacks reached each depth and each page count.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom};

const PAGE: usize = 4096;
/// The size of chatroom's client thread stacks (`CLIENT_THREAD_STACK`).
pub const CLIENT_STACK_KIB: usize = 128;
/// Depths are counted in steps of this many bytes.
const STEP: usize = 256;

/// The high-water mark of each of `pid`'s stacks of `stack_kib` KiB, in bytes
/// below its top. A stack that cannot be read (its thread ended meanwhile) is
/// left out.
pub fn measure(pid: u32, stack_kib: usize) -> io::Result<Vec<usize>> {
    let size = stack_kib * 1024;
    let maps = fs::read_to_string(format!("/proc/{pid}/maps"))?;
    let mut mem = fs::File::open(format!("/proc/{pid}/mem"))?;
    let mut depths = Vec::new();
    let mut stack = vec![0u8; size];
    for (start, end) in stack_mappings(&maps) {
        if end - start != size {
            continue;
        }
        let read = mem
            .seek(SeekFrom::Start(start as u64))
            .and_then(|_| mem.read_exact(&mut stack));
        if read.is_ok() {
            depths.push(high_water(&stack));
        }
    }
    Ok(depths)
}

/// Anonymous read-write private mappings: `(start, end)`.
fn stack_mappings(maps: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    maps.lines().filter_map(|line| {
        let mut fields = line.split_whitespace();
        let range = fields.next()?;
        let perms = fields.next()?;
        let anonymous = fields.nth(3).is_none();
        if perms != "rw-p" || !anonymous {
            return None;
        }
        let (start, end) = range.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        Some((start, end))
    })
}

/// Bytes from the top of `stack` down to its lowest non-zero byte.
fn high_water(stack: &[u8]) -> usize {
    let lowest = stack.iter().position(|&byte| byte != 0);
    lowest.map_or(0, |lowest| stack.len() - lowest)
}

/// How many stacks touched each number of pages.
fn by_pages(depths: &[usize]) -> BTreeMap<usize, usize> {
    let mut by_pages = BTreeMap::new();
    for &depth in depths {
        *by_pages.entry(depth.div_ceil(PAGE)).or_default() += 1;
    }
    by_pages
}

/// One line: how many stacks touched how many pages, and the deepest.
pub fn pages_line(depths: &[usize]) -> String {
    let pages: Vec<String> = by_pages(depths)
        .iter()
        .map(|(pages, count)| format!("{count} of {pages} pages"))
        .collect();
    let deepest = depths.iter().max().copied().unwrap_or(0);
    format!(
        "  client thread stacks: {} (deepest {deepest} bytes)\n",
        pages.join(", ")
    )
}

/// How many stacks reached each depth and each number of pages.
pub fn summary(depths: &[usize]) -> String {
    let mut by_depth: BTreeMap<usize, usize> = BTreeMap::new();
    for &depth in depths {
        *by_depth.entry(depth / STEP * STEP).or_default() += 1;
    }
    let deepest = depths.iter().max().copied().unwrap_or(0);
    let mut out = format!("  stacks {} deepest {deepest} bytes\n", depths.len());
    for (pages, count) in by_pages(depths) {
        out.push_str(&format!("  {pages} pages: {count} stacks\n"));
    }
    for (depth, count) in by_depth {
        out.push_str(&format!("  {depth}..{} bytes: {count}\n", depth + STEP));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_high_water_mark_is_the_lowest_touched_byte() {
        let mut stack = vec![0u8; 3 * PAGE];
        assert_eq!(high_water(&stack), 0);
        stack[3 * PAGE - 1] = 1;
        assert_eq!(high_water(&stack), 1);
        stack[PAGE - 1] = 7;
        assert_eq!(high_water(&stack), 2 * PAGE + 1);
    }

    #[test]
    fn only_anonymous_private_writable_mappings_count() {
        let maps = "\
7f0000000000-7f0000020000 rw-p 00000000 00:00 0 \n\
7f0000020000-7f0000021000 ---p 00000000 00:00 0 \n\
7f0000030000-7f0000040000 rw-p 00000000 08:01 42 /usr/lib/libc.so.6\n\
7f0000050000-7f0000070000 rw-p 00000000 00:00 0 \n";
        let found: Vec<_> = stack_mappings(maps).collect();
        assert_eq!(
            found,
            [
                (0x7f0000000000, 0x7f0000020000),
                (0x7f0000050000, 0x7f0000070000)
            ]
        );
    }

    #[test]
    fn the_summary_counts_pages_touched() {
        let text = summary(&[5000, 7600, 9000]);
        assert!(text.contains("deepest 9000 bytes"), "{text}");
        assert!(text.contains("2 pages: 2 stacks"), "{text}");
        assert!(text.contains("3 pages: 1 stacks"), "{text}");
        let line = pages_line(&[5000, 7600, 9000]);
        assert_eq!(
            line,
            "  client thread stacks: 2 of 2 pages, 1 of 3 pages (deepest 9000 bytes)\n"
        );
    }
}
