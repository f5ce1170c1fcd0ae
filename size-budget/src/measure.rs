use std::num::NonZeroU64;

/// The three sizes a browser may download for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sizes {
    /// Bytes on disk.
    pub raw: u64,
    /// Bytes after zopfli's gzip: what `Content-Encoding: gzip` serves, since the server sends the
    /// `.gz` files `dist` writes with [`gzip`].
    pub gzip: u64,
    /// Bytes after brotli at quality 11 (what `Content-Encoding: br` serves).
    pub brotli: u64,
    /// Bytes after plain deflate level 9 in a gzip member ([`gzip9`]): what a CDN that
    /// compresses on the fly at its best level sends.
    pub gzip9: u64,
}

/// Component-wise sum, for budgets that add several files.
impl std::ops::Add for Sizes {
    type Output = Sizes;

    fn add(self, other: Sizes) -> Sizes {
        Sizes {
            raw: self.raw + other.raw,
            gzip: self.gzip + other.gzip,
            brotli: self.brotli + other.brotli,
            gzip9: self.gzip9 + other.gzip9,
        }
    }
}

/// zopfli passes per block. Measured on the form build's wasm (78 KB): 1 → 32,888 B, 5 → 32,827,
/// 15 → 32,823 (0.8 s), 100 → 32,820 (1.6 s); gzip -9 gives 34,833. 15 is zopfli's own default and
/// within a few bytes of what more passes find.
const ZOPFLI_ITERATIONS: u64 = 15;

/// Standard gzip (RFC 1952) made by zopfli: any gzip decoder reads it, and it is ~5% smaller than
/// gzip -9. `dist` writes the served `.gz` files with it and the size gate measures with it, so
/// the gate's "gzip" is the byte count a gzip-only client downloads from our server.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let options = zopfli::Options {
        iteration_count: NonZeroU64::new(ZOPFLI_ITERATIONS).expect("non-zero"),
        ..Default::default()
    };
    // Reading from a slice and writing into a Vec cannot fail.
    zopfli::compress(options, zopfli::Format::Gzip, data, &mut out).expect("gzip into memory");
    out
}

/// Brotli at quality 11 with a 4 MiB window (lgwin 22), the settings of the `.br` files of `dist/`.
pub fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("brotli into memory");
    out
}

/// Plain gzip at level 9 (flate2's deflate at `Compression::best()`, the level of `gzip -9`):
/// what a publisher's CDN compressing on the fly sends at best, so a budget can hold under
/// either compressor, not only under our zopfli `.gz` files.
pub fn gzip9(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    enc.write_all(data).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

/// Measures one file's raw, gzip (zopfli), brotli and plain gzip -9 sizes.
pub fn measure(data: &[u8]) -> Sizes {
    Sizes {
        raw: data.len() as u64,
        gzip: gzip(data).len() as u64,
        brotli: brotli(data).len() as u64,
        gzip9: gzip9(data).len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn compressors_round_trip_and_shrink_repetitive_input() {
        let data = "const ck = window.ck || [];\n".repeat(200).into_bytes();
        let gz = gzip(&data);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);

        let br = brotli(&data);
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);

        let s = measure(&data);
        assert_eq!(s.raw, data.len() as u64);
        assert!(s.gzip < s.raw / 10, "{s:?}");
        assert!(s.brotli < s.raw / 10, "{s:?}");
    }

    #[test]
    fn zopfli_gzip_beats_gzip_9_and_any_decoder_reads_it() {
        // Text with the kind of repetition the glue has, plus a counter so it is not trivial.
        let data: Vec<u8> = (0..3000)
            .flat_map(|i| {
                format!("function f{i}(a,b){{return wasm.x{}(a,b)}}\n", i % 97).into_bytes()
            })
            .collect();
        let level9 = gzip9(&data);
        let ours = gzip(&data);
        assert!(
            ours.len() < level9.len(),
            "{} vs gzip -9 {}",
            ours.len(),
            level9.len()
        );
        // A gzip member: magic, deflate, and it decodes with a stock decoder.
        assert_eq!(&ours[..3], &[0x1f, 0x8b, 8]);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&ours[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn empty_input_still_has_container_overhead() {
        let s = measure(b"");
        assert_eq!(s.raw, 0);
        // gzip always writes a 10-byte header and 8-byte trailer.
        assert!(s.gzip >= 18);
        assert!(s.brotli >= 1);
    }
}
