pub struct FakeOpenAi; pub struct AiFault;
