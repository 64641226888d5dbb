pub struct FakeKie; pub struct KeyState; pub struct KieFault;
