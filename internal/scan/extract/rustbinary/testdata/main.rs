// Places cargo-auditable's audit data where cargo-auditable puts it: a
// section named .dep-v0 holding the zlib-compressed JSON.
#[used]
#[link_section = ".dep-v0"]
static AUDITABLE_VERSION_INFO: [u8; 237] = *include_bytes!("audit.zlib");

fn main() {
    println!("drydock rust-fixture");
}
