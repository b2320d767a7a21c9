#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| glb_fuzz::check(env!("CARGO_BIN_NAME"), data));
