use std::io::Write;

/// The three sizes a browser may download for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sizes {
    /// Bytes on disk.
    pub raw: u64,
    /// Bytes after gzip at level 9 (what `Content-Encoding: gzip` serves).
    pub gzip: u64,
    /// Bytes after brotli at quality 11 (what `Content-Encoding: br` serves).
    pub brotli: u64,
}

/// Component-wise sum, for budgets that add several files.
impl std::ops::Add for Sizes {
    type Output = Sizes;

    fn add(self, other: Sizes) -> Sizes {
        Sizes {
            raw: self.raw + other.raw,
            gzip: self.gzip + other.gzip,
            brotli: self.brotli + other.brotli,
        }
    }
}

/// Gzip at level 9, the level the precompressed `.gz` files of `dist/` use.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    enc.write_all(data).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
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

/// Measures one file's raw, gzip and brotli sizes.
pub fn measure(data: &[u8]) -> Sizes {
    Sizes {
        raw: data.len() as u64,
        gzip: gzip(data).len() as u64,
        brotli: brotli(data).len() as u64,
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
    fn empty_input_still_has_container_overhead() {
        let s = measure(b"");
        assert_eq!(s.raw, 0);
        // gzip always writes a 10-byte header and 8-byte trailer.
        assert!(s.gzip >= 18);
        assert!(s.brotli >= 1);
    }
}
