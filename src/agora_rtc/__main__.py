"""``python -m agora_rtc doctor [--need PART ...]``: see agora_rtc.doctor."""
import sys

from agora_rtc import doctor

if __name__ == "__main__":
    if sys.argv[1:2] != ["doctor"]:
        sys.exit("usage: python -m agora_rtc doctor [--need PART ...]")
    sys.exit(doctor.main(sys.argv[2:]))
