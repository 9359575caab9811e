#[inline(never)] pub fn t<T: ?Sized>() -> usize { std::mem::size_of::<&T>() }
pub struct Wrap<'a, T>(pub &'a T);
pub mod ünïcode { pub struct Straße; }
fn main() {
    let mut n = 0;
    n += t::<(u8, (i64,), &mut [u16])>();
    n += t::<fn(u8) -> u8>();
    n += t::<unsafe extern "C" fn(i32)>();
    n += t::<dyn Iterator<Item = u8>>();
    n += t::<dyn for<'a> Fn(&'a str) -> &'a str>();
    n += t::<*const u8>();
    n += t::<*mut i16>();
    n += t::<[u8; 4]>();
    n += t::<(char, bool, f32, f64, i128, u128, isize, usize, i8, i16, i32, u16, u32, u64, ())>();
    n += t::<dyn Send + Sync>();
    n += t::<&'static str>();
    n += t::<Wrap<'static, Vec<String>>>();
    n += t::<ünïcode::Straße>();
    n += t::<extern "system" fn()>();
    n += t::<unsafe extern "C" fn(&str, ...)>() * 0;
    println!("{}", n);
}
